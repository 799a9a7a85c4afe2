// Validates rendered kustomize overlays offline: every object against the
// Kubernetes / Prometheus Operator schemas of kubernetes-models (plus unknown
// fields), then Switchboard's invariants (lib/checks.mjs), the Dockerfiles and
// self-tests proving that the checks fail on broken input.
//
//   node validate.mjs --root=REPO NAME=RENDERED.yaml...
//
// Prints one "ok - name" / "not ok - name" line per check (problems follow as
// "#" lines) and "# validate: N passed, N failed"; exits 1 on any failure.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import YAML from "yaml";
import { StrictFieldChecker, moduleDir } from "./lib/strict_fields.mjs";
import { parseAbslFlags, metricNames, isExportedSeries, switchboardPackages, parseDockerfile, walkFiles } from "./lib/source_facts.mjs";
import { makeContext, CheckFailure, expectNone, APP_LABEL } from "./lib/context.mjs";
import { selectorMatches, ref } from "./lib/k8s.mjs";
import * as C from "./lib/checks.mjs";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const ROOT = path.resolve(args.find((a) => a.startsWith("--root="))?.slice(7) ?? path.join(HERE, "../.."));
const RENDERED = args.filter((a) => !a.startsWith("--")).map((a) => a.split("="));

let passed = 0;
let failed = 0;
async function test(name, fn) {
  try {
    await fn();
    passed++;
    console.log(`ok - ${name}`);
  } catch (e) {
    failed++;
    console.log(`not ok - ${name}`);
    const lines = e instanceof CheckFailure ? e.problems : [e.stack ?? String(e)];
    for (const l of lines) console.log(`#   ${String(l).replace(/\n/g, "\n#   ")}`);
  }
}

const read = (rel) => fs.readFileSync(path.join(ROOT, rel), "utf8");
const loadYaml = (text) => YAML.parseAllDocuments(text).map((d) => d.toJS()).filter(Boolean);
const facts = {
  flags: { gateway: parseAbslFlags(read("gateway/main.cc")), control: parseAbslFlags(read("control/main.cc")) },
};
const metrics = metricNames(ROOT);
const strict = new StrictFieldChecker(path.join(HERE, "node_modules"));

async function schemaCheck(obj) {
  let mod;
  try {
    mod = await import(moduleDir(obj.apiVersion));
  } catch {
    throw new CheckFailure([`no schema for apiVersion ${obj.apiVersion}`]);
  }
  const Model = mod[obj.kind];
  if (!Model) throw new CheckFailure([`no schema for ${obj.apiVersion} ${obj.kind}`]);
  const problems = [];
  try {
    new Model(obj).validate();
  } catch (e) {
    problems.push(...String(e.message).split("\n"));
  }
  problems.push(...(strict.check(obj) ?? [`no type declarations for ${obj.kind}`]));
  expectNone(problems);
}

const secretExample = loadYaml(read("deploy/base/secret.example.yaml"))[0];
const secretKeys = new Set(Object.keys({ ...secretExample.stringData, ...secretExample.data }));

// [name, check] run on every overlay.
const OVERLAY_CHECKS = [
  ["workload selectors match their pod template labels", C.workloadSelectors],
  ["every Service selects a pod template", C.serviceSelectors],
  ["every PodDisruptionBudget selects a pod template", C.pdbSelectors],
  ["every NetworkPolicy selector selects a pod template", C.networkPolicySelectors],
  ["every PodMonitor selects pods with its port and job label", C.podMonitorSelectors],
  ["every HorizontalPodAutoscaler target exists and requests CPU", C.hpaTargets],
  ["Service targetPorts are container ports of the selected pods", C.serviceTargetPorts],
  ["probes use real ports and paths (admin /healthz /readyz, grpc health, NATS /healthz)", C.probesAreReal],
  ["container ports match --listen/--admin_listen/--grpc_listen and nats.conf", C.listenFlagsMatchPorts],
  ["every gateway --flag is an ABSL_FLAG of gateway/main.cc", C.flagsExist("gateway", "gateway/main.cc")],
  ["every control --flag is an ABSL_FLAG of control/main.cc", C.flagsExist("control", "control/main.cc")],
  ["gateway preStop + --drain_timeout < terminationGracePeriodSeconds", C.gatewayDrainFitsGrace],
  ["control preStop + --shutdown_grace < terminationGracePeriodSeconds", C.controlShutdownFitsGrace],
  ["NATS lame-duck mode fits in terminationGracePeriodSeconds", C.natsLameDuckFitsGrace],
  ["gateway and control agree on the stream flags", C.streamFlagsAgree],
  ["--nats_url points at the NATS client Service", C.natsUrlsPointAtService],
  ["NATS routes, headless Service, JetStream volume and stream replicas fit together", C.natsClusterShape],
  ["containers run as non-root without privilege escalation", C.nonRoot],
  ["containers have a read-only root filesystem", C.readOnlyRoot],
  ["ConfigMaps and Secrets referenced exist (Secrets only the documented external one)", C.referencesResolve(secretKeys)],
  ["only gateway and control reach the NATS client port; only NATS the routes port", C.natsNetworkPolicy],
  ["images have fixed tags", C.imagesPinned],
];

const gatewayReplicasFlag = (ctx) => ctx.gateway.flag("replicas");
const OVERLAY_SPECIFIC = {
  prod: [
    ["3 NATS servers and --replicas=3 for gateway and control", (ctx) => {
      const p = [];
      if (ctx.nats.owner.spec.replicas !== 3) p.push(`NATS replicas ${ctx.nats.owner.spec.replicas}`);
      if (gatewayReplicasFlag(ctx) !== "3") p.push(`gateway --replicas=${gatewayReplicasFlag(ctx)}`);
      if (ctx.control.flag("replicas") !== "3") p.push(`control --replicas=${ctx.control.flag("replicas")}`);
      expectNone(p);
    }],
    ["at least 3 gateways (HPA minReplicas) and 2 control planes", (ctx) => {
      const hpa = ctx.all("HorizontalPodAutoscaler").find((h) => h.spec.scaleTargetRef.name === ctx.gateway.tmpl.owner.metadata.name);
      const p = [];
      if (!hpa || hpa.spec.minReplicas < 3) p.push(`gateway HPA minReplicas ${hpa?.spec.minReplicas}`);
      if ((ctx.control.tmpl.owner.spec.replicas ?? 1) < 2) p.push(`control replicas ${ctx.control.tmpl.owner.spec.replicas}`);
      expectNone(p);
    }],
    ["NATS servers must run on different nodes", (ctx) => {
      const terms = ctx.nats.tmpl.spec.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? [];
      const ok = terms.some((t) => t.topologyKey === "kubernetes.io/hostname" && selectorMatches(t.labelSelector, ctx.nats.tmpl.labels));
      expectNone(ok ? [] : ["no required podAntiAffinity on kubernetes.io/hostname"]);
    }],
    ["monitoring: a PodMonitor and a PrometheusRule are rendered", (ctx) => {
      expectNone(["PodMonitor", "PrometheusRule"].filter((k) => ctx.all(k).length === 0).map((k) => `no ${k}`));
    }],
  ],
  dev: [
    ["one replica of everything and stream --replicas=1", (ctx) => {
      const p = [];
      for (const t of ctx.templates) if ((t.owner.spec.replicas ?? 1) !== 1) p.push(`${ref(t.owner)} replicas ${t.owner.spec.replicas}`);
      if (ctx.all("HorizontalPodAutoscaler").length) p.push("an HPA is rendered");
      if (gatewayReplicasFlag(ctx) !== "1" || ctx.control.flag("replicas") !== "1") p.push("stream --replicas is not 1");
      expectNone(p);
    }],
  ],
};

// Required alerts, by what their expression must mention.
const REQUIRED_ALERTS = [
  ["gateway down", /\bup\{job="gateway"\}/],
  ["slow-consumer closes (4005)", /switchboard_gateway_closes_total\{code="4005"\}|switchboard_gateway_slow_consumer_closes_total/],
  ["delivery latency p99", /histogram_quantile\(0\.99,[\s\S]*switchboard_gateway_delivery_latency_seconds_bucket/],
  ["NATS disconnects", /switchboard_nats_(disconnects_total|connected)/],
];

function alertChecks(ctx) {
  const rules = ctx.all("PrometheusRule").flatMap((r) => r.spec.groups.flatMap((g) => g.rules.filter((x) => x.alert)));
  const p = [];
  for (const [what, re] of REQUIRED_ALERTS) if (!rules.some((r) => re.test(r.expr))) p.push(`no alert for ${what}`);
  for (const r of rules) {
    if (!r.labels?.severity) p.push(`${r.alert}: no severity label`);
    for (const m of r.expr.matchAll(/\bjob="([^"]+)"/g)) {
      const pm = ctx.all("PodMonitor").find((x) => ctx.templates.some((t) => selectorMatches(x.spec.selector, t.labels) && t.labels[x.spec.jobLabel] === m[1]));
      if (!pm) p.push(`${r.alert}: no PodMonitor produces job="${m[1]}"`);
    }
  }
  expectNone(p);
}

// Each self-test breaks a copy of an overlay and expects the check to fail.
const SELF_TESTS = [
  ["the drain check rejects a grace period shorter than preStop + --drain_timeout", C.gatewayDrainFitsGrace,
    (objs) => { podOf(objs, "gateway").terminationGracePeriodSeconds = 22; }],
  ["the flag check rejects a --flag main.cc does not define", C.flagsExist("gateway", "gateway/main.cc"),
    (objs) => { podOf(objs, "gateway").containers[0].args.push("--drain_windw=5s"); }],
  ["the Service check rejects a selector that selects no pod", C.serviceSelectors,
    (objs) => { objs.find((o) => o.kind === "Service" && o.metadata.name === "gateway").spec.selector[APP_LABEL] = "gatway"; }],
  ["the probe check rejects a probe on a port other than the admin port", C.probesAreReal,
    (objs) => { podOf(objs, "gateway").containers[0].readinessProbe.httpGet.port = "ws"; }],
  ["the NetworkPolicy check rejects a NATS client port open to every pod", C.natsNetworkPolicy,
    (objs) => { objs.find((o) => o.kind === "NetworkPolicy").spec.ingress[0].from = []; }],
  ["the non-root check rejects runAsUser 0", C.nonRoot,
    (objs) => { podOf(objs, "control").securityContext.runAsUser = 0; }],
  ["the stream check rejects gateway and control disagreeing on --replicas", C.streamFlagsAgree,
    (objs) => { podOf(objs, "control").containers[0].args.push("--replicas=1"); }],
];

function podOf(objs, app) {
  return objs.find((o) => o.spec?.template?.metadata?.labels?.[APP_LABEL] === app).spec.template.spec;
}

// ---- run ----
const overlays = [];
for (const [name, file] of RENDERED) {
  const objects = loadYaml(fs.readFileSync(file, "utf8"));
  overlays.push({ name, objects, ctx: makeContext(name, objects, facts) });
}

for (const { name, objects, ctx } of overlays) {
  for (const obj of objects) await test(`${name}: ${obj.apiVersion} ${ref(obj)} matches its schema, no unknown fields`, () => schemaCheck(obj));
  for (const [what, fn] of OVERLAY_CHECKS) await test(`${name}: ${what}`, () => fn(ctx));
  for (const [what, fn] of OVERLAY_SPECIFIC[name] ?? []) await test(`${name}: ${what}`, () => fn(ctx));
  if (ctx.all("PrometheusRule").length) await test(`${name}: alerts cover gateway down, 4005 closes, delivery p99, NATS disconnects`, () => alertChecks(ctx));
}

await test("every switchboard_* metric named under deploy/ is exported by the C++ sources", () => {
  const p = [];
  for (const file of walkFiles(path.join(ROOT, "deploy"))) {
    const text = fs.readFileSync(file, "utf8");
    for (const m of text.matchAll(/\bswitchboard_[a-z0-9_]+/g)) {
      if (!isExportedSeries(m[0], metrics)) p.push(`${path.relative(ROOT, file)}: ${m[0]} is not exported`);
    }
  }
  if (metrics.names.size === 0) p.push("found no metric names in the sources");
  expectNone([...new Set(p)]);
});

await test("secret.example.yaml matches its schema and holds every key the pods mount", async () => {
  await schemaCheck(secretExample);
  const p = [];
  if (secretExample.metadata.name !== [...C.EXTERNAL_SECRETS][0]) p.push(`named ${secretExample.metadata.name}`);
  for (const { ctx } of overlays) {
    for (const t of ctx.templates) {
      for (const v of t.spec.volumes ?? []) {
        for (const i of v.secret?.items ?? []) if (!secretKeys.has(i.key)) p.push(`${ctx.name} ${t.labels[APP_LABEL]}: key ${i.key} missing`);
      }
    }
  }
  expectNone(p);
});

const PACKAGES = switchboardPackages(read("switchboard"));
// PACKAGES entries only the tests and `./switchboard up` need.
const NOT_FOR_BUILD = new Set(["chromium", "clang", "libclang-rt-14-dev", "lld", "nats-server", "curl", "procps"]);
for (const part of ["gateway", "control"]) {
  const file = `deploy/docker/${part}.Dockerfile`;
  const stages = fs.existsSync(path.join(ROOT, file)) ? parseDockerfile(read(file)) : [];
  await test(`${file}: Debian 12 build stage installs PACKAGES' build set and builds //${part}`, () => {
    const p = [];
    const build = stages[0];
    if (!build || build.from !== "debian:12") p.push(`first stage is ${build?.from}, want debian:12`);
    if (!PACKAGES) p.push("no PACKAGES=( ... ) in the switchboard script");
    else if (build) {
      for (const pkg of build.packages) if (!PACKAGES.includes(pkg)) p.push(`installs ${pkg}, which is not in PACKAGES`);
      for (const pkg of PACKAGES) if (!NOT_FOR_BUILD.has(pkg) && !build.packages.includes(pkg)) p.push(`does not install ${pkg} from PACKAGES`);
      if (!build.lines.some((l) => l.instr === "RUN" && l.args.includes(`bazel build`) && l.args.includes(`//${part}:switchboard-${part}`))) p.push("no bazel build of the target");
    }
    expectNone(p);
  });
  await test(`${file}: debian:12-slim runtime, non-root USER, EXPOSE and ENTRYPOINT match the manifests`, () => {
    const p = [];
    const rt = stages[stages.length - 1];
    if (!rt || rt.from !== "debian:12-slim") p.push(`runtime stage is ${rt?.from}`);
    const get = (instr) => rt?.lines.filter((l) => l.instr === instr).map((l) => l.args) ?? [];
    const user = get("USER").pop();
    const uid = Number((user ?? "").split(":")[0]);
    if (!(uid > 0)) p.push(`USER ${user} is not a numeric non-root uid`);
    if (!get("ENTRYPOINT").some((e) => e.includes(`switchboard-${part}`))) p.push("ENTRYPOINT does not run the binary");
    if (rt?.packages.some((pkg) => /-dev$|^g\+\+$|^bazel/.test(pkg))) p.push("runtime stage installs build tools");
    const exposed = new Set(get("EXPOSE").flatMap((e) => e.split(/\s+/)).map(Number));
    for (const { ctx } of overlays) {
      const b = ctx[part];
      for (const port of b.container.ports ?? []) if (!exposed.has(port.containerPort)) p.push(`${ctx.name}: port ${port.containerPort} not EXPOSEd`);
      const podUid = b.container.securityContext?.runAsUser ?? b.tmpl.spec.securityContext?.runAsUser;
      if (podUid !== uid) p.push(`${ctx.name}: runAsUser ${podUid} differs from the image's USER ${uid}`);
    }
    expectNone(p);
  });
}

const prod = overlays.find((o) => o.name === "prod") ?? overlays[0];
for (const [what, check, breakIt] of SELF_TESTS) {
  await test(`self-test: ${what}`, () => {
    if (!prod) throw new CheckFailure(["no rendered overlay to break"]);
    try {
      check(prod.ctx);  // the intact overlay passes...
    } catch (e) {
      throw new CheckFailure([`the intact ${prod.name} overlay already fails this check (see above): nothing to prove`]);
    }
    const copy = structuredClone(prod.objects);
    breakIt(copy);
    try {
      check(makeContext(`${prod.name} (broken)`, copy, facts));
    } catch (e) {
      if (e instanceof CheckFailure) return;  // ...and the broken one fails.
      throw e;
    }
    throw new CheckFailure(["the broken copy passed"]);
  });
}

console.log(`# validate: ${passed} passed, ${failed} failed`);
process.exitCode = failed === 0 ? 0 : 1;
