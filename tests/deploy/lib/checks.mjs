// Invariants of one rendered overlay. Each check takes the overlay's context
// (lib/context.mjs) and throws a CheckFailure naming every problem it found.
import { selectorMatches, isEmptySelector, resolveContainerPort, resolvePodPort, probes, preStopSeconds, ref } from "./k8s.mjs";
import { isKnownFlag } from "./source_facts.mjs";
import { APP_LABEL, expectNone, listenPort, listenHost, seconds, bytes, CheckFailure } from "./context.mjs";

const ADMIN_PATHS = new Set(["/healthz", "/readyz", "/metrics"]);
const STREAM_FLAGS = ["history_per_room", "history_ttl", "dedupe_window", "storage", "replicas", "stream_update", "subject_prefix"];
// Secrets created outside kustomize (docs/kubernetes.md), with the keys of
// deploy/base/secret.example.yaml.
export const EXTERNAL_SECRETS = new Set(["switchboard-secrets"]);

const labelsOf = (t) => t.labels;
const appOf = (t) => t.labels[APP_LABEL] ?? ref(t.owner);

function require(ctx, part) {
  if (!ctx[part]) throw new CheckFailure([`no ${part} pod template in ${ctx.name}`]);
  return ctx[part];
}

export function workloadSelectors(ctx) {
  const problems = [];
  for (const t of ctx.templates) {
    const sel = t.owner.spec.selector;
    if (isEmptySelector(sel)) problems.push(`${ref(t.owner)}: empty selector`);
    else if (!selectorMatches(sel, labelsOf(t))) problems.push(`${ref(t.owner)}: selector does not match its template labels`);
  }
  expectNone(problems);
}

// `kind` objects whose selector(obj) must select at least one pod template.
function selectsPods(ctx, kind, selector) {
  const problems = [];
  for (const o of ctx.all(kind)) {
    const sel = selector(o);
    if (isEmptySelector(sel)) problems.push(`${ref(o)}: empty selector`);
    else if (!ctx.templates.some((t) => selectorMatches(sel, labelsOf(t)))) problems.push(`${ref(o)}: selects no pod template`);
  }
  expectNone(problems);
}

export const serviceSelectors = (ctx) => selectsPods(ctx, "Service", (s) => ({ matchLabels: s.spec.selector ?? {} }));
export const pdbSelectors = (ctx) => selectsPods(ctx, "PodDisruptionBudget", (p) => p.spec.selector);

export function networkPolicySelectors(ctx) {
  selectsPods(ctx, "NetworkPolicy", (n) => n.spec.podSelector);
  const problems = [];
  for (const np of ctx.all("NetworkPolicy")) {
    for (const rule of [...(np.spec.ingress ?? []), ...(np.spec.egress ?? [])]) {
      for (const peer of [...(rule.from ?? []), ...(rule.to ?? [])]) {
        if (peer.podSelector && !peer.namespaceSelector && !ctx.templates.some((t) => selectorMatches(peer.podSelector, labelsOf(t)))) {
          problems.push(`${ref(np)}: peer ${JSON.stringify(peer.podSelector)} selects no pod template`);
        }
      }
    }
  }
  expectNone(problems);
}

export function podMonitorSelectors(ctx) {
  selectsPods(ctx, "PodMonitor", (m) => m.spec.selector);
  const problems = [];
  for (const pm of ctx.all("PodMonitor")) {
    for (const t of ctx.templates.filter((t) => selectorMatches(pm.spec.selector, labelsOf(t)))) {
      for (const ep of pm.spec.podMetricsEndpoints ?? []) {
        if (resolvePodPort(t.spec, ep.port) === null) problems.push(`${ref(pm)}: ${appOf(t)} has no port named ${ep.port}`);
        if (ep.path && !ADMIN_PATHS.has(ep.path)) problems.push(`${ref(pm)}: path ${ep.path} is not served`);
      }
      if (pm.spec.jobLabel && !t.labels[pm.spec.jobLabel]) problems.push(`${ref(pm)}: ${appOf(t)} lacks label ${pm.spec.jobLabel}`);
    }
  }
  expectNone(problems);
}

export function hpaTargets(ctx) {
  const problems = [];
  for (const hpa of ctx.all("HorizontalPodAutoscaler")) {
    const t = hpa.spec.scaleTargetRef;
    const target = ctx.find(t.kind, t.name);
    if (!target || target.apiVersion !== t.apiVersion) {
      problems.push(`${ref(hpa)}: target ${t.apiVersion} ${t.kind}/${t.name} is not rendered`);
      continue;
    }
    const cpu = (hpa.spec.metrics ?? []).some((m) => m.type === "Resource" && m.resource?.name === "cpu");
    for (const c of target.spec.template.spec.containers) {
      if (cpu && !c.resources?.requests?.cpu) problems.push(`${ref(hpa)}: container ${c.name} has no CPU request`);
    }
    if (target.spec.replicas !== undefined) {
      problems.push(`${ref(target)}: spec.replicas is set although ${ref(hpa)} owns it (each apply would reset it)`);
    }
    if (hpa.spec.minReplicas > hpa.spec.maxReplicas) problems.push(`${ref(hpa)}: minReplicas > maxReplicas`);
  }
  expectNone(problems);
}

export function serviceTargetPorts(ctx) {
  const problems = [];
  for (const svc of ctx.all("Service")) {
    const pods = ctx.templates.filter((t) => selectorMatches({ matchLabels: svc.spec.selector ?? {} }, labelsOf(t)));
    for (const p of svc.spec.ports ?? []) {
      const target = p.targetPort ?? p.port;
      for (const t of pods) {
        if (resolvePodPort(t.spec, target) === null) problems.push(`${ref(svc)} port ${p.name ?? p.port}: ${appOf(t)} has no container port ${target}`);
      }
    }
  }
  expectNone(problems);
}

export function probesAreReal(ctx) {
  const problems = [];
  for (const t of ctx.templates) {
    for (const c of t.spec.containers) {
      for (const { kind, probe } of probes(c)) {
        const port = probe.httpGet?.port ?? probe.tcpSocket?.port ?? probe.grpc?.port;
        if (port !== undefined && resolveContainerPort(c, port) === null) problems.push(`${appOf(t)} ${kind}: port ${port} is not a container port`);
      }
    }
  }
  const gw = require(ctx, "gateway");
  const ct = require(ctx, "control");
  for (const b of [gw, ct]) {
    const admin = listenPort(b.flag("admin_listen"));
    const grpc = b === ct ? listenPort(b.flag("grpc_listen")) : null;
    for (const { kind, probe } of probes(b.container)) {
      if (probe.httpGet) {
        if (!ADMIN_PATHS.has(probe.httpGet.path)) problems.push(`${b.name} ${kind}: path ${probe.httpGet.path} is not one of ${[...ADMIN_PATHS].join(" ")}`);
        const p = resolveContainerPort(b.container, probe.httpGet.port);
        if (p !== admin) problems.push(`${b.name} ${kind}: port ${probe.httpGet.port} (${p}) is not --admin_listen's ${admin}`);
      } else if (probe.grpc) {
        if (grpc === null || probe.grpc.port !== grpc) problems.push(`${b.name} ${kind}: grpc port ${probe.grpc.port} does not serve grpc.health.v1`);
      } else {
        problems.push(`${b.name} ${kind}: neither httpGet nor grpc`);
      }
    }
  }
  if (gw.container.readinessProbe?.httpGet?.path !== "/readyz") problems.push("gateway: readiness must be /readyz (it fails while draining)");
  if (gw.container.livenessProbe?.httpGet?.path !== "/healthz") problems.push("gateway: liveness must be /healthz");
  if (!ct.container.readinessProbe) problems.push("control: no readiness probe");
  const n = require(ctx, "nats");
  if (n.conf) {
    const monitor = Number(n.conf.http_port ?? n.conf.http ?? NaN);
    for (const { kind, probe } of probes(n.container)) {
      if (!probe.httpGet?.path?.startsWith("/healthz")) problems.push(`nats ${kind}: not an httpGet of /healthz`);
      else if (resolveContainerPort(n.container, probe.httpGet.port) !== monitor) problems.push(`nats ${kind}: port is not http_port ${monitor}`);
    }
  }
  expectNone(problems);
}

export function listenFlagsMatchPorts(ctx) {
  const problems = [];
  const expectPort = (who, container, name, port) => {
    const p = resolveContainerPort(container, name);
    if (p === null || p !== port) problems.push(`${who}: container port "${name}" is ${p}, the configuration says ${port}`);
  };
  const gw = require(ctx, "gateway");
  const ct = require(ctx, "control");
  for (const [b, flag, portName] of [[gw, "listen", "ws"], [gw, "admin_listen", "admin"], [ct, "grpc_listen", "grpc"], [ct, "admin_listen", "admin"]]) {
    const text = b.flag(flag);
    expectPort(`${b.name} --${flag}=${text}`, b.container, portName, listenPort(text));
    const host = listenHost(text);
    if (host === "127.0.0.1" || host === "localhost" || host === "::1") problems.push(`${b.name} --${flag}=${text} binds to loopback: unreachable from other pods`);
  }
  const n = require(ctx, "nats");
  if (!n.conf) problems.push(n.confError);
  else {
    expectPort("nats port", n.container, "client", Number(n.conf.port ?? 4222));
    expectPort("nats http_port", n.container, "monitor", Number(n.conf.http_port));
    if (n.conf.cluster) expectPort("nats cluster.port", n.container, "cluster", Number(n.conf.cluster.port));
  }
  expectNone(problems);
}

export function flagsExist(part, mainCc) {
  return (ctx) => {
    const b = require(ctx, part);
    const problems = [...b.replay.errors];
    for (const { name, origin } of b.replay.seen) {
      if (!isKnownFlag(name, b.absl)) problems.push(`${origin}: --${name} is not an ABSL_FLAG of ${mainCc}`);
    }
    if (b.replay.seen.length === 0) problems.push(`${part}: no flags at all`);
    expectNone(problems);
  };
}

export function gatewayDrainFitsGrace(ctx) {
  const gw = require(ctx, "gateway");
  const grace = gw.tmpl.spec.terminationGracePeriodSeconds ?? 30;
  const pre = preStopSeconds(gw.container);
  const timeout = seconds(gw.flag("drain_timeout"), "--drain_timeout");
  const window = seconds(gw.flag("drain_window"), "--drain_window");
  const problems = [];
  if (pre === null) problems.push("gateway preStop is not a plain sleep: its duration is unknown");
  else if (!(pre + timeout < grace)) {
    problems.push(`preStop ${pre}s + --drain_timeout ${timeout}s = ${pre + timeout}s is not below terminationGracePeriodSeconds ${grace}s`);
  }
  if (pre !== null && !(pre + window < grace)) problems.push(`preStop ${pre}s + --drain_window ${window}s is not below ${grace}s`);
  if (!(window < timeout)) problems.push(`--drain_window ${window}s must be shorter than --drain_timeout ${timeout}s`);
  if (pre === 0) problems.push("gateway has no preStop delay: load balancers may still send connections after SIGTERM");
  expectNone(problems);
}

export function controlShutdownFitsGrace(ctx) {
  const ct = require(ctx, "control");
  const grace = ct.tmpl.spec.terminationGracePeriodSeconds ?? 30;
  const pre = preStopSeconds(ct.container);
  const shutdown = seconds(ct.flag("shutdown_grace"), "--shutdown_grace");
  expectNone(pre === null ? ["control preStop duration unknown"]
    : pre + shutdown < grace ? [] : [`preStop ${pre}s + --shutdown_grace ${shutdown}s is not below ${grace}s`]);
}

export function natsLameDuckFitsGrace(ctx) {
  const n = require(ctx, "nats");
  if (!n.conf) throw new CheckFailure([n.confError]);
  const grace = n.tmpl.spec.terminationGracePeriodSeconds ?? 30;
  const ldm = seconds(n.conf.lame_duck_duration ?? "2m", "lame_duck_duration");
  const pause = seconds(n.conf.lame_duck_grace_period ?? "10s", "lame_duck_grace_period");
  const problems = [];
  if (!(ldm + pause < grace)) problems.push(`lame_duck_grace_period ${pause}s + lame_duck_duration ${ldm}s is not below ${grace}s`);
  const cmd = (n.container.lifecycle?.preStop?.exec?.command ?? []).join(" ");
  if (!n.conf.pid_file || !cmd.includes(`ldm=${n.conf.pid_file}`)) problems.push(`preStop "${cmd}" does not signal ldm to pid_file ${n.conf.pid_file}`);
  expectNone(problems);
}

export function streamFlagsAgree(ctx) {
  const gw = require(ctx, "gateway");
  const ct = require(ctx, "control");
  const problems = [];
  for (const f of STREAM_FLAGS) {
    const a = gw.flag(f);
    const b = ct.flag(f);
    // Durations compare by value: "2m" equals "120s".
    const same = a === b || (safeSeconds(a) !== null && safeSeconds(a) === safeSeconds(b));
    if (!same) problems.push(`--${f}: gateway ${a}, control ${b}`);
  }
  expectNone(problems);
}

function safeSeconds(text) {
  try {
    return seconds(text, "");
  } catch {
    return null;
  }
}

export function natsUrlsPointAtService(ctx) {
  const problems = [];
  for (const b of [require(ctx, "gateway"), require(ctx, "control")]) {
    for (const url of b.flag("nats_url").split(",")) {
      const m = /^nats:\/\/([^:/.]+)(?:\.[^:/]*)?:(\d+)$/.exec(url.trim());
      const svc = m && ctx.find("Service", m[1]);
      if (!svc) problems.push(`${b.name} --nats_url ${url}: not a rendered Service`);
      else if (!(svc.spec.ports ?? []).some((p) => p.port === Number(m[2]))) problems.push(`${b.name} --nats_url ${url}: Service has no port ${m[2]}`);
      else if (svc.spec.selector?.[APP_LABEL] !== "nats") problems.push(`${b.name} --nats_url ${url}: Service does not select NATS`);
    }
  }
  expectNone(problems);
}

export function natsClusterShape(ctx) {
  const n = require(ctx, "nats");
  if (!n.conf) throw new CheckFailure([n.confError]);
  const sts = n.owner;
  const replicas = sts.spec.replicas ?? 1;
  const problems = [];
  const headless = ctx.find("Service", sts.spec.serviceName);
  if (!headless || headless.spec.clusterIP !== "None") problems.push(`serviceName ${sts.spec.serviceName} is not a rendered headless Service`);
  else if (!headless.spec.publishNotReadyAddresses) problems.push(`${sts.spec.serviceName} must publish not-ready addresses (routes form before readiness)`);
  if (replicas > 1) {
    const port = n.conf.cluster?.port;
    const want = [...Array(replicas).keys()].map((i) => `nats://${sts.metadata.name}-${i}.${sts.spec.serviceName}:${port}`).sort();
    const have = [...(n.conf.cluster?.routes ?? [])].sort();
    if (!n.conf.cluster) problems.push(`${replicas} servers but nats.conf has no cluster block`);
    else if (JSON.stringify(want) !== JSON.stringify(have)) problems.push(`routes ${JSON.stringify(have)} should be ${JSON.stringify(want)}`);
  } else if (n.conf.cluster?.routes?.length) {
    problems.push("one server, but nats.conf routes to others (JetStream would wait for a quorum that never comes)");
  }
  // JetStream must live on the PersistentVolumeClaim.
  const store = n.conf.jetstream?.store_dir;
  const claims = new Map((sts.spec.volumeClaimTemplates ?? []).map((c) => [c.metadata.name, c]));
  const mount = (n.container.volumeMounts ?? []).find((m) => claims.has(m.name) && store?.startsWith(m.mountPath));
  if (!store) problems.push("nats.conf has no jetstream.store_dir");
  else if (!mount) problems.push(`jetstream.store_dir ${store} is not on a volumeClaimTemplate`);
  else {
    const size = bytes(claims.get(mount.name).spec.resources.requests.storage);
    const max = bytes(n.conf.jetstream.max_file_store ?? "0");
    if (!max || !(max < size)) problems.push(`max_file_store ${n.conf.jetstream.max_file_store} must be set below the claim's ${claims.get(mount.name).spec.resources.requests.storage}`);
  }
  const r = Number(require(ctx, "gateway").flag("replicas"));
  if (!(r >= 1 && r <= replicas)) problems.push(`stream --replicas=${r} needs at least ${r} NATS servers, there are ${replicas}`);
  expectNone(problems);
}

function effective(pod, container, field) {
  return container.securityContext?.[field] ?? pod.securityContext?.[field];
}

export function nonRoot(ctx) {
  const problems = [];
  for (const t of ctx.templates) {
    for (const c of [...(t.spec.initContainers ?? []), ...t.spec.containers]) {
      if (effective(t.spec, c, "runAsNonRoot") !== true) problems.push(`${appOf(t)}/${c.name}: runAsNonRoot is not true`);
      const uid = effective(t.spec, c, "runAsUser");
      if (uid === undefined || uid === 0) problems.push(`${appOf(t)}/${c.name}: runAsUser ${uid} (set a non-zero uid)`);
      if (c.securityContext?.allowPrivilegeEscalation !== false) problems.push(`${appOf(t)}/${c.name}: allowPrivilegeEscalation is not false`);
      if (!(c.securityContext?.capabilities?.drop ?? []).includes("ALL")) problems.push(`${appOf(t)}/${c.name}: capabilities not dropped`);
    }
  }
  expectNone(problems);
}

export function readOnlyRoot(ctx) {
  const problems = [];
  for (const t of ctx.templates) {
    for (const c of t.spec.containers) {
      if (c.securityContext?.readOnlyRootFilesystem !== true) problems.push(`${appOf(t)}/${c.name}: root filesystem is writable`);
    }
  }
  expectNone(problems);
}

// secretKeys: the keys of deploy/base/secret.example.yaml.
export function referencesResolve(secretKeys) {
  return (ctx) => {
    const problems = [];
    for (const s of ctx.all("Secret")) problems.push(`${ref(s)} is rendered: apply -k would overwrite the real one`);
    const wantKeys = (kind, name, keys, who) => {
      if (kind === "Secret") {
        if (!EXTERNAL_SECRETS.has(name)) problems.push(`${who}: Secret ${name} is neither rendered nor documented`);
        for (const k of keys) if (!secretKeys.has(k)) problems.push(`${who}: key ${k} is not in secret.example.yaml`);
        return;
      }
      const cm = ctx.find("ConfigMap", name);
      if (!cm) problems.push(`${who}: ConfigMap ${name} is not rendered`);
      else for (const k of keys) if (!Object.hasOwn(cm.data ?? {}, k)) problems.push(`${who}: ConfigMap ${name} has no key ${k}`);
    };
    for (const t of ctx.templates) {
      for (const v of t.spec.volumes ?? []) {
        if (v.configMap) wantKeys("ConfigMap", v.configMap.name, (v.configMap.items ?? []).map((i) => i.key), `${appOf(t)} volume ${v.name}`);
        if (v.secret) wantKeys("Secret", v.secret.secretName, (v.secret.items ?? []).map((i) => i.key), `${appOf(t)} volume ${v.name}`);
      }
      for (const c of t.spec.containers) {
        for (const e of c.env ?? []) {
          const s = e.valueFrom?.secretKeyRef;
          const m = e.valueFrom?.configMapKeyRef;
          if (s) wantKeys("Secret", s.name, [s.key], `${appOf(t)} env ${e.name}`);
          if (m) wantKeys("ConfigMap", m.name, [m.key], `${appOf(t)} env ${e.name}`);
        }
      }
    }
    expectNone(problems);
  };
}

// Which pod templates (plus an unlabelled outsider) may open TCP `port` on `dst`.
function allowedSources(ctx, dst, port) {
  const sources = [...ctx.templates, { labels: {}, owner: { kind: "Pod", metadata: { name: "outsider" } } }];
  const policies = ctx.all("NetworkPolicy").filter(
    (np) => selectorMatches(np.spec.podSelector, dst.labels) && (np.spec.policyTypes ?? ["Ingress"]).includes("Ingress"));
  const allowed = new Set();
  for (const src of sources) {
    const ok = policies.length === 0 || policies.some((np) => (np.spec.ingress ?? []).some((rule) => {
      const fromOk = !rule.from?.length || rule.from.some((p) => p.podSelector && !p.namespaceSelector && selectorMatches(p.podSelector, src.labels));
      const portOk = !rule.ports?.length || rule.ports.some((p) => (typeof p.port === "string" ? resolvePodPort(dst.spec, p.port) : p.port) === port);
      return fromOk && portOk;
    }));
    if (ok) allowed.add(src.labels[APP_LABEL] ?? src.owner.metadata.name);
  }
  return [...allowed].sort();
}

export function natsNetworkPolicy(ctx) {
  const n = require(ctx, "nats");
  if (!n.conf) throw new CheckFailure([n.confError]);
  const problems = [];
  const client = allowedSources(ctx, n.tmpl, Number(n.conf.port ?? 4222));
  if (JSON.stringify(client) !== JSON.stringify(["control", "gateway"])) problems.push(`client port reachable from [${client}], want [control, gateway]`);
  if (n.conf.cluster) {
    const routes = allowedSources(ctx, n.tmpl, Number(n.conf.cluster.port));
    if (JSON.stringify(routes) !== JSON.stringify(["nats"])) problems.push(`routes port reachable from [${routes}], want [nats]`);
  }
  expectNone(problems);
}

export function imagesPinned(ctx) {
  const problems = [];
  for (const t of ctx.templates) {
    for (const c of [...(t.spec.initContainers ?? []), ...t.spec.containers]) {
      const last = c.image.split("/").pop();
      const tag = last.includes("@") ? "digest" : last.split(":")[1];
      if (!tag || tag === "latest") problems.push(`${appOf(t)}/${c.name}: image ${c.image} has no fixed tag`);
    }
  }
  expectNone(problems);
}
