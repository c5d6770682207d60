// Builds the one plotly.js bundle the pages need: the core plus the trace types they draw
// (scatter is in the core; heatmap for the confusion matrix), from the plotly.js package that npm
// installed, with plotly.js's documented partial-bundle entry points (lib/core, lib/<trace>).
// The full bundle is 4.8 MB; this one is about a quarter of that. Output: build/plotly/ (ignored).
import { build } from "esbuild";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const TRACES = ["heatmap"];
const out = join(root, "build", "plotly");
const entry = join(out, "entry.cjs");

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
writeFileSync(entry, [
  'const Plotly = require("plotly.js/lib/core");',
  `Plotly.register([${TRACES.map((t) => `require("plotly.js/lib/${t}")`).join(", ")}]);`,
  "module.exports = Plotly;",
].join("\n"));
await build({
  entryPoints: [entry], bundle: true, minify: true, format: "iife", globalName: "Plotly",
  outfile: join(out, "plotly-layerlab.min.js"), nodePaths: [join(root, "node_modules")],
  define: { global: "window" }, legalComments: "eof", logLevel: "warning",
});
// plotly.js injects its own styles at run time; a stylesheet esbuild gathers from a dependency is unused.
rmSync(join(out, "plotly-layerlab.min.css"), { force: true });
rmSync(entry);
console.log(`built ${join("build", "plotly", "plotly-layerlab.min.js")} (scatter, ${TRACES.join(", ")})`);
