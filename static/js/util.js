// Small helpers shared by every page: the API (session cookie + CSRF), DOM building, formatting.

export function cookie(name) {
  const match = document.cookie.split("; ").find((c) => c.startsWith(name + "="));
  return match ? decodeURIComponent(match.slice(name.length + 1)) : "";
}

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.detail) || `request failed (${status})`);
    this.status = status;
    this.body = body || {};
  }
}

// fetch() a JSON API; rejects with ApiError carrying the parsed {"detail"} body on 4xx/5xx.
export async function api(path, { method = "GET", body, raw = false } = {}) {
  const headers = { Accept: "application/json" };
  const init = { method, headers, credentials: "same-origin" };
  if (method !== "GET") headers["X-CSRFToken"] = cookie("csrftoken");
  if (body instanceof FormData) init.body = body;
  else if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  if (raw) return response;
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = { detail: text.slice(0, 200) };
  }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

// el("div", {class: "x", onclick: f}, "text", child) builds an element.
// JSON a page embeds with Django's json_script (so its module needs no request of its own to start).
export function pageData(id) {
  const node = document.getElementById(id);
  return node ? JSON.parse(node.textContent) : null;
}

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export const $ = (selector, root = document) => root.querySelector(selector);

export function debounce(fn, ms) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

const INT = new Intl.NumberFormat("en-US"); // made once: a formatter is costly to build
export const fmtInt = (n) => (n === null || n === undefined ? "—" : INT.format(Number(n)));

export function fmtCompact(n) {
  if (n === null || n === undefined) return "—";
  const units = [[1e12, "T"], [1e9, "G"], [1e6, "M"], [1e3, "k"]];
  for (const [size, unit] of units) if (Math.abs(n) >= size) return (n / size).toFixed(n >= size * 100 ? 0 : 1) + unit;
  return String(n);
}

export function fmtBytes(n) {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i += 1;
  }
  return `${n.toFixed(i ? 1 : 0)} ${units[i]}`;
}

export function fmtDuration(seconds) {
  if (!isFinite(seconds) || seconds < 0) return "—";
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

export const fmtPct = (x) => (x === null || x === undefined ? "—" : `${(100 * x).toFixed(1)}%`);

export const shapeText = (shape) => (Array.isArray(shape) ? `[${shape.join(", ")}]` : "—");

// A short-lived message in the page's status area (role=status, so screen readers hear it).
export function announce(text, kind = "info") {
  const box = document.getElementById("flash");
  if (!box) return;
  box.textContent = text;
  box.dataset.kind = kind;
  box.hidden = !text;
}

// Draw a sample (nested list) into a canvas: [C,H,W] or [H,W] as an image, [L] or [C,L] as a line.
export function drawSample(values, size = 64, label = "input sample") {
  const canvas = el("canvas", { width: size, height: size, class: "sample", role: "img", "aria-label": label });
  const ctx = canvas.getContext("2d");
  let grid = values;
  if (Array.isArray(grid[0]) && Array.isArray(grid[0][0])) grid = grid.length === 3 ? grid : grid[0];
  const flat = grid.flat(3).filter((v) => typeof v === "number");
  const lo = Math.min(...flat);
  const hi = Math.max(...flat);
  const norm = (v) => (hi > lo ? (v - lo) / (hi - lo) : 0);
  if (Array.isArray(grid[0]) && Array.isArray(grid[0][0])) {
    // three channels: RGB
    const h = grid[0].length, w = grid[0][0].length;
    paint(ctx, size, h, w, (y, x) => [0, 1, 2].map((c) => 255 * norm(grid[c][y][x])));
  } else if (Array.isArray(grid[0]) && grid.length > 1 && grid[0].length > 1) {
    const h = grid.length, w = grid[0].length;
    paint(ctx, size, h, w, (y, x) => { const g = 255 * norm(grid[y][x]); return [g, g, g]; });
  } else {
    const line = Array.isArray(grid[0]) ? grid[0] : grid;
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, size, size);
    ctx.strokeStyle = "#2456a6";
    ctx.beginPath();
    line.forEach((v, i) => ctx.lineTo((i / Math.max(1, line.length - 1)) * size, size - 4 - norm(v) * (size - 8)));
    ctx.stroke();
  }
  return canvas;
}

function paint(ctx, size, h, w, rgb) {
  const cw = size / w, ch = size / h;
  for (let y = 0; y < h; y += 1) {
    for (let x = 0; x < w; x += 1) {
      const [r, g, b] = rgb(y, x);
      ctx.fillStyle = `rgb(${r | 0},${g | 0},${b | 0})`;
      ctx.fillRect(x * cw, y * ch, Math.ceil(cw), Math.ceil(ch));
    }
  }
}
