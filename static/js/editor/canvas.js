// The canvas: a thin wrapper over Drawflow that keeps each node's id, type and params and turns the
// picture into a layerlab.graph/1 document (and back). Emits "change" and "select" events.
import { nextId } from "./catalogue.js";

const NODE_W = 170;

export class Canvas extends EventTarget {
  // `locked`: ids of blocks a lab's teacher locked; they cannot be deleted, rewired or edited here.
  // `readOnly`: blocks cannot be moved, wired or selected (the lab editor shows a starter so).
  constructor(container, blocks, { locked = [], readOnly = false } = {}) {
    super();
    this.container = container;
    this.blocks = blocks;
    this.locked = new Set(locked);
    this.nodes = new Map(); // drawflow id (string) -> {id, type, params, extra}
    this.loading = false;
    this.selected = null;
    const df = new Drawflow(container);
    df.reroute = false;
    df.zoom_min = 0.25;
    df.key = function key(e) { this.dispatch("keydown", e); }; // our own shortcuts handle Delete
    df.start();
    if (readOnly) df.editor_mode = "fixed";
    this.df = df;
    if (this.locked.size) this.guardLocks(df);
    df.on("nodeSelected", (id) => this.setSelected(String(id)));
    df.on("nodeUnselected", () => this.setSelected(null));
    df.on("nodeMoved", () => this.changed("move"));
    df.on("nodeRemoved", (id) => {
      this.nodes.delete(String(id));
      if (this.selected === String(id)) this.setSelected(null);
      this.changed("remove");
    });
    df.on("connectionCreated", (c) => this.onConnect(c));
    df.on("connectionRemoved", (c) => {
      if (this.isLocked(String(c.input_id)) && !this.loading && !this.reverting) return this.revert(() =>
        this.df.addConnection(c.output_id, c.input_id, c.output_class, c.input_class), c.input_id);
      this.fixPorts(String(c.input_id));
      this.changed("disconnect");
    });
  }

  changed(reason) {
    if (!this.loading) this.dispatchEvent(new CustomEvent("change", { detail: reason }));
  }

  setSelected(dfId) {
    this.selected = dfId;
    this.dispatchEvent(new CustomEvent("select", { detail: dfId }));
  }

  element(dfId) {
    return this.container.querySelector(`#node-${dfId}`);
  }

  data(dfId) {
    return this.df.drawflow.drawflow.Home.data[dfId];
  }

  takenIds() {
    return new Set([...this.nodes.values()].map((n) => n.id));
  }

  findById(id) {
    for (const [dfId, node] of this.nodes) if (node.id === id) return dfId;
    return null;
  }

  // Add a block; x, y are canvas coordinates of its top-left corner. Returns the drawflow id.
  add(type, x, y, { id, params, extra } = {}) {
    const spec = this.blocks.get(type) || { arity: { min: 1, max: 1 } };
    const node = { id: id || nextId(type, this.takenIds()), type, params: { ...(params || {}) }, extra: extra || {} };
    const inputs = spec.arity.max === 0 ? 0 : spec.arity.max === 1 ? 1 : Math.max(2, spec.arity.min);
    const html = `<div class="blk"><div class="blk-head"><span class="blk-id"></span><span class="blk-type"></span></div>` +
      `<div class="blk-info"><span class="blk-shape">…</span><span class="blk-params"></span></div><div class="blk-msg"></div></div>`;
    const dfId = String(this.df.addNode(type, inputs, 1, Math.round(x), Math.round(y), `blk-${type}`, {}, html));
    this.nodes.set(dfId, node);
    const element = this.element(dfId);
    element.dataset.nodeId = node.id;
    element.querySelector(".blk-id").textContent = node.id;
    element.querySelector(".blk-type").textContent = type;
    this.showLock(dfId);
    this.labelPorts(dfId);
    this.changed("add");
    return dfId;
  }

  showLock(dfId) {
    const node = this.nodes.get(dfId);
    const element = this.element(dfId);
    const locked = this.locked.has(node.id);
    element.classList.toggle("locked", locked);
    element.setAttribute("aria-label", `${node.id} (${node.type}${locked ? ", locked" : ""})`);
    if (locked) element.title = "Locked by the teacher: it cannot be deleted, rewired or edited";
    else element.removeAttribute("title");
  }

  // The lab editor changes which blocks are locked; the student's editor sets them once.
  setLocked(ids) {
    this.locked = new Set(ids);
    for (const dfId of this.nodes.keys()) this.showLock(dfId);
  }

  isLocked(dfId) {
    const node = this.nodes.get(String(dfId));
    return Boolean(node && this.locked.has(node.id));
  }

  // Why a block may not be deleted: it is locked, or a locked block reads it. Null when it may.
  lockReason(dfId) {
    const node = this.nodes.get(String(dfId));
    if (!node) return null;
    if (this.locked.has(node.id)) return `'${node.id}' is locked by the teacher`;
    const reader = [...this.nodes.keys()].find((k) => this.isLocked(k) && this.inputsOf(k).includes(String(dfId)));
    return reader ? `'${node.id}' feeds the locked block '${this.nodes.get(reader).id}'` : null;
  }

  refuse(message) {
    this.dispatchEvent(new CustomEvent("refused", { detail: message }));
    return false;
  }

  revert(undo, dfId) {
    this.reverting = true;
    try {
      undo();
    } finally {
      this.reverting = false;
    }
    return this.refuse(`'${this.nodes.get(String(dfId)).id}' is locked by the teacher: its wiring stays as it is`);
  }

  // Drawflow deletes through these two (its × button, our Delete key): refuse for locked blocks.
  guardLocks(df) {
    const removeNode = df.removeNodeId.bind(df);
    df.removeNodeId = (id) => {
      const reason = this.loading ? null : this.lockReason(String(id).slice(5));
      return reason ? this.refuse(`${reason}: it cannot be deleted`) : removeNode(id);
    };
    const removeConnection = df.removeConnection.bind(df);
    df.removeConnection = () => {
      const path = df.connection_selected;
      const inId = path && path.parentElement.classList[1].slice(13);
      return inId && this.isLocked(inId) ? this.refuse(`'${this.nodes.get(inId).id}' is locked by the teacher: its wiring stays as it is`) : removeConnection();
    };
  }

  labelPorts(dfId) {
    const element = this.element(dfId);
    element.querySelectorAll(".input").forEach((port, i) => port.setAttribute("title", `input ${i + 1}`));
    element.querySelectorAll(".output").forEach((port) => port.setAttribute("title", "output"));
  }

  rename(dfId, newId) {
    const node = this.nodes.get(dfId);
    node.id = newId;
    const element = this.element(dfId);
    element.dataset.nodeId = newId;
    element.querySelector(".blk-id").textContent = newId;
    this.changed("rename");
  }

  setParams(dfId, params) {
    this.nodes.get(dfId).params = params;
    this.changed("params");
  }

  remove(dfId) {
    if (this.nodes.has(dfId)) this.df.removeNodeId(`node-${dfId}`);
  }

  connect(fromDf, toDf, port = 1) {
    this.df.addConnection(fromDf, toDf, "output_1", `input_${port}`);
  }

  onConnect(c) {
    const inId = String(c.input_id);
    if (this.isLocked(inId) && !this.loading && !this.reverting) return this.revert(() =>
      this.df.removeSingleConnection(c.output_id, c.input_id, c.output_class, c.input_class), inId);
    // One wire per input port: a new wire replaces the old one.
    const port = this.data(inId).inputs[c.input_class];
    for (const old of [...port.connections]) {
      if (String(old.node) !== String(c.output_id)) {
        this.df.removeSingleConnection(old.node, inId, old.input, c.input_class);
      }
    }
    this.fixPorts(inId);
    this.changed("connect");
  }

  // Merge blocks keep exactly one free input port at the end (and at least their minimum).
  fixPorts(dfId) {
    const node = this.nodes.get(dfId);
    const spec = node && this.blocks.get(node.type);
    if (!spec || spec.arity.max !== null) return;
    const inputs = () => Object.keys(this.data(dfId).inputs).sort((a, b) => parseInt(a.slice(6)) - parseInt(b.slice(6)));
    const used = (name) => this.data(dfId).inputs[name].connections.length > 0;
    let names = inputs();
    if (used(names[names.length - 1])) this.df.addNodeInput(dfId);
    names = inputs();
    while (names.length > Math.max(2, spec.arity.min) && !used(names[names.length - 1]) && !used(names[names.length - 2])) {
      this.df.removeNodeInput(dfId, names[names.length - 1]);
      names = inputs();
    }
    this.labelPorts(dfId);
  }

  select(dfId) {
    const element = dfId && this.element(dfId);
    if (this.df.node_selected) this.df.node_selected.classList.remove("selected");
    if (!element) {
      this.df.node_selected = null;
      this.setSelected(null);
      return;
    }
    element.classList.add("selected");
    this.df.node_selected = element;
    this.setSelected(dfId);
  }

  moveTo(dfId, x, y) {
    const data = this.data(dfId);
    data.pos_x = Math.round(x);
    data.pos_y = Math.round(y);
    const element = this.element(dfId);
    element.style.left = `${data.pos_x}px`;
    element.style.top = `${data.pos_y}px`;
    this.df.updateConnectionNodes(`node-${dfId}`);
  }

  // Client (screen) coordinates to canvas coordinates.
  toCanvas(clientX, clientY) {
    const rect = this.df.precanvas.getBoundingClientRect();
    return { x: (clientX - rect.x) / this.df.zoom, y: (clientY - rect.y) / this.df.zoom };
  }

  inputsOf(dfId) {
    const ports = Object.entries(this.data(dfId).inputs).sort(([a], [b]) => parseInt(a.slice(6)) - parseInt(b.slice(6)));
    return ports.flatMap(([, port]) => port.connections.map((c) => String(c.node)));
  }

  toDocument(meta) {
    const nodes = [];
    for (const [dfId, node] of this.nodes) {
      const data = this.data(dfId);
      const out = { ...node.extra, id: node.id, type: node.type };
      const inputs = this.inputsOf(dfId).map((src) => this.nodes.get(src).id);
      const spec = this.blocks.get(node.type);
      if (!spec || spec.arity.max !== 0) out.inputs = inputs;
      if (Object.keys(node.params).length) out.params = { ...node.params };
      out.ui = { ...(node.extra.ui || {}), x: data.pos_x, y: data.pos_y };
      nodes.push(out);
    }
    const doc = { ...meta.extra, format: "layerlab.graph/1", name: meta.name, nodes };
    const ids = new Set(nodes.map((n) => n.id));
    if (Array.isArray(meta.outputs) && meta.outputs.length && meta.outputs.every((o) => ids.has(o))) doc.outputs = meta.outputs;
    else delete doc.outputs;
    return doc;
  }

  // Replace the canvas with a document's nodes; nodes without ui positions are laid out.
  load(doc) {
    this.loading = true;
    try {
      this.df.clear();
      this.nodes.clear();
      this.setSelected(null);
      const made = new Map();
      const placed = (doc.nodes || []).every((n) => n.ui && Number.isFinite(n.ui.x) && Number.isFinite(n.ui.y));
      (doc.nodes || []).forEach((n, i) => {
        const { id, type, params, inputs, ...extra } = n;
        const x = placed ? n.ui.x : 40 + (i % 4) * 220;
        const y = placed ? n.ui.y : 40 + Math.floor(i / 4) * 140;
        made.set(id, this.add(type, x, y, { id, params, extra }));
      });
      for (const n of doc.nodes || []) {
        (n.inputs || []).forEach((src, port) => {
          const to = made.get(n.id);
          if (!made.has(src)) return;
          while (Object.keys(this.data(to).inputs).length < port + 1) this.df.addNodeInput(to);
          this.connect(made.get(src), to, port + 1);
        });
      }
      for (const dfId of made.values()) this.fixPorts(dfId);
      return placed;
    } finally {
      this.loading = false;
    }
  }

  // Layered left-to-right layout, wrapped into bands so a long chain stays on screen.
  tidy() {
    const layer = new Map();
    const depth = (dfId, seen = new Set()) => {
      if (layer.has(dfId)) return layer.get(dfId);
      if (seen.has(dfId)) return 0;
      seen.add(dfId);
      const ins = this.inputsOf(dfId);
      const d = ins.length ? 1 + Math.max(...ins.map((i) => depth(i, seen))) : 0;
      layer.set(dfId, d);
      return d;
    };
    for (const dfId of this.nodes.keys()) depth(dfId);
    const perRow = Math.max(2, Math.floor((this.container.clientWidth - 40) / (NODE_W + 50)));
    const columns = new Map();
    for (const [dfId, d] of layer) columns.set(d, [...(columns.get(d) || []), dfId]);
    const tallest = Math.max(1, ...[...columns.values()].map((c) => c.length));
    for (const [d, ids] of columns) {
      const band = Math.floor(d / perRow);
      ids.forEach((dfId, i) => this.moveTo(dfId, 30 + (d % perRow) * (NODE_W + 50), 30 + band * (tallest * 130 + 40) + i * 130));
    }
    this.changed("tidy");
  }

  fit() {
    const df = this.df;
    const all = [...this.nodes.keys()].map((id) => this.element(id));
    if (!all.length) return this.zoomTo(1, 0, 0);
    const xs = all.map((e) => e.offsetLeft), ys = all.map((e) => e.offsetTop);
    const x0 = Math.min(...xs), y0 = Math.min(...ys);
    const x1 = Math.max(...all.map((e) => e.offsetLeft + e.offsetWidth));
    const y1 = Math.max(...all.map((e) => e.offsetTop + e.offsetHeight));
    const W = this.container.clientWidth, H = this.container.clientHeight;
    const z = Math.max(df.zoom_min, Math.min(1, (W - 40) / (x1 - x0 + 1), (H - 40) / (y1 - y0 + 1)));
    // Drawflow scales around the precanvas centre: solve for the translation that centres the box.
    const cx = W / 2, cy = H / 2, bx = (x0 + x1) / 2, by = (y0 + y1) / 2;
    this.zoomTo(z, (cx - bx) * z, (cy - by) * z);
  }

  zoomTo(z, x, y) {
    const df = this.df;
    df.zoom = z;
    df.zoom_last_value = z;
    df.canvas_x = x;
    df.canvas_y = y;
    df.precanvas.style.transform = `translate(${x}px, ${y}px) scale(${z})`;
  }

  // The centre of the visible area in canvas coordinates (where keyboard-added blocks go).
  visibleCentre() {
    const rect = this.container.getBoundingClientRect();
    return this.toCanvas(rect.x + rect.width / 2 - NODE_W / 2, rect.y + rect.height / 3);
  }
}
