// Helpers over rendered Kubernetes objects: pod templates, label selectors,
// ports, mounted ConfigMap files, and a reader for the nats.conf subset used here.

const WORKLOAD_KINDS = new Set(["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"]);

export const ref = (o) => `${o.kind}/${o.metadata?.name}`;

// [{owner, labels, spec}] for every workload's pod template.
export function podTemplates(objects) {
  return objects
    .filter((o) => WORKLOAD_KINDS.has(o.kind) && o.spec?.template)
    .map((o) => ({ owner: o, labels: o.spec.template.metadata?.labels ?? {}, spec: o.spec.template.spec }));
}

// metav1.LabelSelector semantics; an empty selector selects everything.
export function selectorMatches(selector, labels) {
  if (!selector) return true;
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) {
    if (labels[k] !== v) return false;
  }
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, e.key);
    const value = labels[e.key];
    switch (e.operator) {
      case "In":
        if (!has || !e.values.includes(value)) return false;
        break;
      case "NotIn":
        if (has && e.values.includes(value)) return false;
        break;
      case "Exists":
        if (!has) return false;
        break;
      case "DoesNotExist":
        if (has) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

export function isEmptySelector(selector) {
  return !selector || (Object.keys(selector.matchLabels ?? {}).length === 0 && (selector.matchExpressions ?? []).length === 0);
}

// The containerPort a probe/Service port (number or name) refers to, or null.
export function resolveContainerPort(container, port) {
  for (const p of container.ports ?? []) {
    if (typeof port === "number" ? p.containerPort === port : p.name === port) return p.containerPort;
  }
  return null;
}

export function resolvePodPort(podSpec, port) {
  for (const c of podSpec.containers ?? []) {
    const n = resolveContainerPort(c, port);
    if (n !== null) return n;
  }
  return null;
}

// Every probe of a container: [{kind: "readiness"|..., probe}].
export function probes(container) {
  return ["startupProbe", "readinessProbe", "livenessProbe"]
    .filter((k) => container[k])
    .map((k) => ({ kind: k.replace("Probe", ""), probe: container[k] }));
}

// Reads a file as the container sees it under a ConfigMap volume mount, or
// null: mountPath + item path -> ConfigMap key -> data.
export function mountedFileReader(podSpec, container, objects) {
  return (file) => {
    for (const m of container.volumeMounts ?? []) {
      const dir = m.mountPath.replace(/\/$/, "");
      if (!file.startsWith(dir + "/")) continue;
      const rel = file.slice(dir.length + 1);
      const vol = (podSpec.volumes ?? []).find((v) => v.name === m.name);
      if (!vol?.configMap) continue;
      const key = vol.configMap.items ? vol.configMap.items.find((i) => i.path === rel)?.key : rel;
      if (!key) continue;
      const cm = objects.find((o) => o.kind === "ConfigMap" && o.metadata.name === vol.configMap.name);
      const text = cm?.data?.[key];
      if (text !== undefined) return text;
    }
    return null;
  };
}

// The preStop hook's duration in seconds: exec ["sleep", N] or sleep: {seconds}.
export function preStopSeconds(container) {
  const h = container.lifecycle?.preStop;
  if (!h) return 0;
  if (h.sleep) return Number(h.sleep.seconds);
  const cmd = h.exec?.command ?? [];
  if (cmd.length === 2 && /(^|\/)sleep$/.test(cmd[0]) && /^\d+$/.test(cmd[1])) return Number(cmd[1]);
  return null;  // some other command: its duration is unknown
}

// A small reader for nats-server's configuration format, enough for the
// keys this repo uses: `key: value` / `key = value` / `key value`, blocks
// `{...}`, arrays `[...]` (newline or comma separated), '#' and '//' comments.
export function parseNatsConf(text) {
  const tokens = [];
  // ':' may appear inside words (nats://host:port), so "key:" is one word.
  const re = /\s+|#[^\n]*|\/\/[^\n]*|([{}\[\],=])|"((?:[^"\\]|\\.)*)"|([^\s{}\[\],="#]+)/gy;
  let m;
  while (re.lastIndex < text.length && (m = re.exec(text)) !== null) {
    if (m[1]) tokens.push({ p: m[1] });
    else if (m[2] !== undefined) tokens.push({ v: m[2] });
    else if (m[3] !== undefined) tokens.push({ v: m[3] });
  }
  let i = 0;
  const value = () => {
    const t = tokens[i++];
    if (t?.p === "{") return block("}");
    if (t?.p === "[") {
      const arr = [];
      while (tokens[i] && tokens[i].p !== "]") {
        if (tokens[i].p === ",") {
          i++;
          continue;
        }
        arr.push(value());
      }
      i++;
      return arr;
    }
    if (t?.v === undefined) throw new Error(`nats.conf: unexpected ${JSON.stringify(t)}`);
    return t.v;
  };
  const block = (end) => {
    const obj = {};
    while (i < tokens.length && (end === undefined || tokens[i].p !== end)) {
      if (tokens[i].p === ",") {
        i++;
        continue;
      }
      let key = tokens[i++].v;
      if (key === undefined) throw new Error("nats.conf: expected a key");
      if (key.endsWith(":")) key = key.slice(0, -1);
      else if (tokens[i]?.v === ":" || tokens[i]?.p === "=") i++;
      obj[key] = value();
    }
    i++;
    return obj;
  };
  return block(undefined);
}
