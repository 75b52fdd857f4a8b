// The per-class table of benchmarks/bench_policy.py for cc-safety-net, a public guard.
//
// Not part of csup: install the guard anywhere and run this from there, e.g.
//   mkdir /tmp/ccsn && cd /tmp/ccsn && npm install cc-safety-net@2.4.5
//   cp .../benchmarks/peer_cc_safety_net.mjs . && node peer_cc_safety_net.mjs \
//      .../tests/policy/corpus/classes.txt
// A line is caught when checkCommand() does not allow it (the guard's default level).
import { checkCommand } from "cc-safety-net/api";
import { readFileSync, mkdtempSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
const cwd = mkdtempSync(join(tmpdir(), "ccsn-"));
const lines = readFileSync(process.argv[2], "utf8").split("\n");
let klass = "";
const counts = {};
for (const line of lines) {
  if (line.startsWith("# == ")) { klass = line.slice(5).split(":")[0]; continue; }
  if (!line.trim() || line.startsWith("#")) continue;
  const i = line.indexOf(" ## ");
  const command = line.slice(0, i), expected = line.slice(i + 4).trim();
  let r;
  try { r = checkCommand({ command, cwd }); } catch (e) { r = { kind: "error" }; }
  const c = counts[klass] ??= [0, 0, 0, 0];
  if (expected === "allow" || expected === "gap-fp") { c[3]++; if (r.kind !== "allow") c[2]++; }
  else { c[1]++; if (r.kind !== "allow") c[0]++; }
}
for (const [k, [caught, total, fp, near]] of Object.entries(counts).sort()) {
  console.log(`| ${k} | ${total ? `${caught} / ${total} (${Math.round(100 * caught / total)}%)` : "-"} | ${fp} / ${near} |`);
}
