// What the checks need to know about one rendered overlay: its objects, the
// gateway/control/NATS pods, their effective flags and nats.conf.
import { podTemplates, mountedFileReader, parseNatsConf } from "./k8s.mjs";
import { replayFlags, defaultAsText, parseDuration } from "./source_facts.mjs";

export class CheckFailure extends Error {
  constructor(problems) {
    super(problems.join("\n"));
    this.problems = problems;
  }
}

// Throws a CheckFailure listing `problems` if there are any.
export function expectNone(problems) {
  if (problems.length > 0) throw new CheckFailure(problems);
}

export const APP_LABEL = "app.kubernetes.io/name";

// A Switchboard binary's pod: template, container and effective flags.
function binary(name, objects, templates, absl) {
  const tmpl = templates.find((t) => t.labels[APP_LABEL] === name);
  if (!tmpl) return null;
  const container = tmpl.spec.containers.find((c) => c.name === name);
  if (!container) return null;
  const read = mountedFileReader(tmpl.spec, container, objects);
  const replay = replayFlags(container.args ?? [], read);
  const flag = (f) => replay.values.get(f) ?? defaultAsText(absl.get(f));
  return { name, tmpl, container, replay, flag, absl };
}

function nats(objects, templates) {
  const tmpl = templates.find((t) => t.labels[APP_LABEL] === "nats");
  if (!tmpl) return null;
  const container = tmpl.spec.containers.find((c) => c.name === "nats");
  const cmd = [...(container.command ?? []), ...(container.args ?? [])];
  const i = cmd.findIndex((a) => a === "--config" || a === "-c");
  const confPath = i >= 0 ? cmd[i + 1] : null;
  const text = confPath ? mountedFileReader(tmpl.spec, container, objects)(confPath) : null;
  let conf = null;
  let confError = null;
  if (text === null) confError = `nats.conf ${confPath ?? "(no --config)"} is not a mounted ConfigMap key`;
  else {
    try {
      conf = parseNatsConf(text);
    } catch (e) {
      confError = e.message;
    }
  }
  return { tmpl, owner: tmpl.owner, container, confPath, conf, confError };
}

// facts: {flags: {gateway: Map, control: Map}}.
export function makeContext(name, objects, facts) {
  const templates = podTemplates(objects);
  return {
    name,
    objects,
    templates,
    all: (kind) => objects.filter((o) => o.kind === kind),
    find: (kind, n) => objects.find((o) => o.kind === kind && o.metadata?.name === n),
    gateway: binary("gateway", objects, templates, facts.flags.gateway),
    control: binary("control", objects, templates, facts.flags.control),
    nats: nats(objects, templates),
  };
}

// Port of "host:port" flag text, or null.
export function listenPort(text) {
  const m = /:(\d+)$/.exec(text ?? "");
  return m ? Number(m[1]) : null;
}

export function listenHost(text) {
  const i = (text ?? "").lastIndexOf(":");
  return i < 0 ? null : text.slice(0, i).replace(/^\[|\]$/g, "");
}

export function seconds(text, what) {
  const s = parseDuration(text ?? "");
  if (s === null) throw new CheckFailure([`${what}: "${text}" is not a duration`]);
  return s;
}

// "10Gi", "8GB", "768MB" -> bytes (Kubernetes quantities and nats.conf sizes).
export function bytes(text) {
  const m = /^(\d+(?:\.\d+)?)\s*([KMGT]i?|[KMGT]B|k)?$/i.exec(String(text).trim());
  if (!m) return null;
  const u = (m[2] ?? "").toUpperCase();
  const pow = { "": 0, K: 1, M: 2, G: 3, T: 4 }[u[0] ?? ""];
  const base = u.endsWith("I") || u.endsWith("B") ? 1024 : 1000;
  return Number(m[1]) * base ** pow;
}
