// Curve charts shared by the run and compare pages: the controls (smoothing, y scale, x axis,
// downloads), kept per user in localStorage, and the Plotly traces they ask for.
import { $ } from "./util.js";
import { X_AXES, prepare } from "./curves.js";

const KEY = "layerlab.curves";
const DEFAULTS = { smoothing: 0, yscale: "linear", xaxis: "epoch" };
export const PLOT_CONFIG = { responsive: true, displaylogo: false };

export function loadPrefs() {
  let saved = {};
  try {
    saved = JSON.parse(localStorage.getItem(KEY) || "{}") || {};
  } catch {
    saved = {};
  }
  const smoothing = Number(saved.smoothing);
  return {
    smoothing: smoothing >= 0 && smoothing < 1 ? smoothing : DEFAULTS.smoothing,
    yscale: saved.yscale === "log" ? "log" : "linear",
    xaxis: saved.xaxis in X_AXES ? saved.xaxis : DEFAULTS.xaxis,
  };
}

// Shows `prefs` in the controls and calls onChange(prefs) after each change, saved first.
export function bindControls(prefs, onChange) {
  const smoothing = $("#smoothing");
  const shown = () => { $("#smoothing-value").textContent = prefs.smoothing.toFixed(2); };
  smoothing.value = String(prefs.smoothing);
  $("#yscale").value = prefs.yscale;
  $("#xaxis").value = prefs.xaxis;
  shown();
  const changed = () => {
    prefs.smoothing = Math.min(0.99, Math.max(0, Number(smoothing.value) || 0));
    prefs.yscale = $("#yscale").value;
    prefs.xaxis = $("#xaxis").value;
    shown();
    localStorage.setItem(KEY, JSON.stringify(prefs));
    onChange(prefs);
  };
  smoothing.addEventListener("input", changed);
  $("#yscale").addEventListener("change", changed);
  $("#xaxis").addEventListener("change", changed);
}

export function curveLayout(title, ytitle, prefs, extra = {}) {
  return {
    title: { text: title, font: { size: 14 } }, margin: { l: 55, r: 10, t: 36, b: 70 },
    xaxis: { title: { text: X_AXES[prefs.xaxis] } },
    yaxis: { title: { text: ytitle }, type: prefs.yscale },
    legend: { orientation: "h", y: -0.35 }, ...extra,
  };
}

// A noisy series (training points) as drawn: the raw points, faint when a smoothed line is drawn
// over them; for a long series each bucket's min and max and their envelope. Returns
// { raw, extra }: `raw` is the raw trace, `extra` the smoothed line and envelope, if any.
export function noisyTraces(x, y, prefs, { name, color, dash = "solid", group } = {}) {
  const drawn = prepare(x, y, { weight: prefs.smoothing });
  const smoothing = prefs.smoothing > 0;
  const line = { dash, width: smoothing ? 1 : 2, color };
  const raw = { x: drawn.x, y: drawn.y, name, mode: "lines", line, opacity: smoothing ? 0.3 : 1, legendgroup: group, meta: "raw" };
  const extra = [];
  if (drawn.band) {
    const edge = { x: drawn.band.x, mode: "lines", line: { width: 0, color }, hoverinfo: "skip", showlegend: false, legendgroup: group };
    extra.push({ ...edge, y: drawn.band.hi, name: `${name} max`, meta: "envelope-max" });
    extra.push({ ...edge, y: drawn.band.lo, name: `${name} min`, fill: "tonexty", opacity: 0.2, meta: "envelope-min" });
  }
  if (smoothing) {
    extra.push({ x: drawn.x, y: drawn.smooth, name: `${name} (smoothed)`, mode: "lines", line: { dash, width: 2, color },
      legendgroup: group, meta: "smoothed" });
  }
  return { raw, extra };
}

// Downloads `text` as a file named `name`.
export function download(name, text, type = "text/csv") {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = Object.assign(document.createElement("a"), { href: url, download: name });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

// The given charts as one PNG, stacked: each drawn by Plotly.toImage, then onto one canvas.
export async function downloadPng(name, divs) {
  const width = 900, height = 450;
  const images = await Promise.all(divs.map(async (div) => {
    const image = new Image();
    image.src = await Plotly.toImage(div, { format: "png", width, height });
    await image.decode();
    return image;
  }));
  const canvas = Object.assign(document.createElement("canvas"), { width, height: height * images.length });
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  images.forEach((image, i) => ctx.drawImage(image, 0, i * height));
  const link = Object.assign(document.createElement("a"), { href: canvas.toDataURL("image/png"), download: name });
  document.body.append(link);
  link.click();
  link.remove();
}
