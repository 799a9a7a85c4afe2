// Facts read from the repository's own sources, so that the manifests are
// checked against what the binaries really accept and export: Abseil flags of
// each main.cc, metric names, the switchboard script's PACKAGES, Dockerfiles.
import fs from "node:fs";
import path from "node:path";

// Abseil's own flags that every binary accepts.
export const ABSL_BUILTIN_FLAGS = new Set(["flagfile", "fromenv", "tryfromenv", "undefok"]);

// Returns Map name -> {type, defaultText} for every ABSL_FLAG(type, name, default, help).
export function parseAbslFlags(source) {
  const flags = new Map();
  const re = /ABSL_FLAG\(\s*((?:[^,<>()]|<[^<>]*>)+?)\s*,\s*([A-Za-z_]\w*)\s*,\s*([\s\S]*?)\s*,\s*"/g;
  for (const m of source.matchAll(re)) {
    flags.set(m[2], { type: m[1].trim(), defaultText: m[3].trim() });
  }
  return flags;
}

// "10s", "1h30m", "500ms", "0" -> seconds; null when not a duration.
export function parseDuration(text) {
  const t = String(text).trim();
  if (t === "0") return 0;
  const re = /(\d+(?:\.\d+)?)(ns|us|ms|s|m|h)/gy;
  const unit = { ns: 1e-9, us: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };
  let total = 0;
  let consumed = 0;
  for (const m of t.matchAll(re)) {
    total += Number(m[1]) * unit[m[2]];
    consumed += m[0].length;
  }
  return consumed === t.length && consumed > 0 ? total : null;
}

// The default of an absl::Duration flag written as absl::Seconds(20) etc.
export function parseDurationDefault(defaultText) {
  const m = /^absl::(Milliseconds|Seconds|Minutes|Hours)\((\d+)\)$/.exec(defaultText);
  if (!m) return null;
  return Number(m[2]) * { Milliseconds: 1e-3, Seconds: 1, Minutes: 60, Hours: 3600 }[m[1]];
}

// The value a flag of `flags` has when no argument sets it, as flag text.
export function defaultAsText(flag) {
  if (!flag) return undefined;
  const s = /^"(.*)"$/.exec(flag.defaultText);
  if (s) return s[1];
  const d = parseDurationDefault(flag.defaultText);
  if (d !== null) return `${d}s`;
  return flag.defaultText;
}

// Replays Abseil's command-line parsing over `args`: each --flagfile is read
// (through readFile(path) -> text or null) and its lines are processed in
// place, and the last occurrence of a flag wins (verified against the real
// binaries). Returns {values: Map name -> text, seen: [{name, origin}], errors}.
export function replayFlags(args, readFile) {
  const values = new Map();
  const seen = [];
  const errors = [];
  const visit = (arg, origin, depth) => {
    if (!arg.startsWith("-")) {
      errors.push(`${origin}: "${arg}" is not a --flag (positional arguments are not used)`);
      return;
    }
    const body = arg.replace(/^--?/, "");
    const eq = body.indexOf("=");
    const name = eq < 0 ? body : body.slice(0, eq);
    const value = eq < 0 ? undefined : body.slice(eq + 1);
    seen.push({ name, origin });
    values.set(name, value === undefined ? "true" : value);
    if (name !== "flagfile") return;
    if (depth > 8) {
      errors.push(`${origin}: --flagfile nesting deeper than 8`);
      return;
    }
    for (const file of (value ?? "").split(",").filter(Boolean)) {
      const text = readFile(file);
      if (text === null || text === undefined) {
        errors.push(`${origin}: --flagfile=${file} is not a mounted ConfigMap key`);
        continue;
      }
      text.split("\n").forEach((raw, i) => {
        const line = raw.replace(/^\s+/, "").replace(/\s+$/, "");
        if (line === "" || line.startsWith("#")) return;
        visit(line, `${file}:${i + 1}`, depth + 1);
      });
    }
  };
  for (const arg of args) visit(arg, "args", 0);
  return { values, seen, errors };
}

// True when `name` (as written after "--") is a flag of the binary: one of its
// ABSL_FLAGs, "no" + a bool flag, or an Abseil built-in.
export function isKnownFlag(name, flags) {
  if (flags.has(name) || ABSL_BUILTIN_FLAGS.has(name)) return true;
  return name.startsWith("no") && flags.get(name.slice(2))?.type === "bool";
}

// Every metric family name the C++ sources register, and which are histograms.
export function metricNames(root) {
  const names = new Set();
  const histograms = new Set();
  for (const dir of ["gateway", "control", "common", "fanout"]) {
    const base = path.join(root, dir);
    if (!fs.existsSync(base)) continue;
    for (const file of walk(base)) {
      if (!file.endsWith(".cc")) continue;
      const src = fs.readFileSync(file, "utf8");
      for (const m of src.matchAll(/"(switchboard_[a-z0-9_]+)"/g)) names.add(m[1]);
      for (const m of src.matchAll(/HistogramFamily\(\s*"(switchboard_[a-z0-9_]+)"/g)) histograms.add(m[1]);
      for (const m of src.matchAll(/BuildHistogram\(\)\s*\.Name\("(switchboard_[a-z0-9_]+)"\)/g)) {
        histograms.add(m[1]);
      }
    }
  }
  return { names, histograms };
}

// True when `series` (as written in PromQL) is a metric the sources export,
// including the _bucket/_sum/_count series of a histogram.
export function isExportedSeries(series, facts) {
  if (facts.names.has(series)) return true;
  const m = /^(.*)_(bucket|sum|count)$/.exec(series);
  return m !== null && facts.histograms.has(m[1]);
}

function* walk(dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(p);
    else yield p;
  }
}

export function* walkFiles(dir) {
  yield* walk(dir);
}

// The PACKAGES=( ... ) array of the switchboard script.
export function switchboardPackages(scriptText) {
  const m = /^PACKAGES=\(([\s\S]*?)^\)/m.exec(scriptText);
  if (!m) return null;
  return m[1]
    .split("\n")
    .map((l) => l.replace(/#.*/, ""))
    .join(" ")
    .split(/\s+/)
    .filter(Boolean);
}

// Stages of a Dockerfile: [{from, as, packages: [...apt-get install args], lines}].
export function parseDockerfile(text) {
  const logical = text
    .replace(/\\\n/g, " ")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"));
  const stages = [];
  for (const line of logical) {
    const [instr, ...rest] = line.split(/\s+/);
    const upper = instr.toUpperCase();
    if (upper === "FROM") {
      const asIdx = rest.findIndex((w) => w.toUpperCase() === "AS");
      stages.push({ from: rest[0], as: asIdx >= 0 ? rest[asIdx + 1] : null, packages: [], lines: [] });
      continue;
    }
    const stage = stages[stages.length - 1];
    if (!stage) continue;
    stage.lines.push({ instr: upper, args: rest.join(" ") });
    if (upper === "RUN") {
      for (const cmd of rest.join(" ").split(/&&|;/)) {
        const words = cmd.trim().split(/\s+/);
        const i = words.indexOf("install");
        if (words[0] === "apt-get" && i > 0) {
          stage.packages.push(...words.slice(i + 1).filter((w) => w && !w.startsWith("-")));
        }
      }
    }
  }
  return stages;
}
