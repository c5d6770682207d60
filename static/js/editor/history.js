// Undo and redo over whole-document snapshots (JSON strings): small designs, simple and exact.
export class History {
  constructor(limit = 200) {
    this.limit = limit;
    this.reset(null);
  }

  reset(snapshot) {
    this.past = snapshot === null ? [] : [snapshot];
    this.future = [];
  }

  // Record the current state; returns false when nothing changed.
  push(snapshot) {
    if (this.past[this.past.length - 1] === snapshot) return false;
    this.past.push(snapshot);
    if (this.past.length > this.limit) this.past.shift();
    this.future = [];
    return true;
  }

  undo() {
    if (this.past.length < 2) return null;
    this.future.push(this.past.pop());
    return this.past[this.past.length - 1];
  }

  redo() {
    if (!this.future.length) return null;
    const snapshot = this.future.pop();
    this.past.push(snapshot);
    return snapshot;
  }

  get canUndo() {
    return this.past.length > 1;
  }

  get canRedo() {
    return this.future.length > 0;
  }
}
