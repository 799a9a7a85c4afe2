// Unknown-field detection. The JSON schemas of kubernetes-models, like the
// Kubernetes OpenAPI they come from, allow unknown properties, so a typo such
// as "readinesProbe" validates and is silently dropped by the API server's
// default (non-strict) decoding. The models' TypeScript declarations (.d.ts)
// list every field, so this walks an object against them and reports every
// property the declared type does not have.
import fs from "node:fs";
import path from "node:path";

const PRIMITIVES = new Set(["string", "number", "boolean", "any", "unknown", "null", "undefined", "object", "never"]);

// Parses the subset of TypeScript type syntax the generated .d.ts files use.
class TypeParser {
  constructor(text, pos = 0) {
    this.s = text;
    this.i = pos;
  }
  ws() {
    while (this.i < this.s.length && /\s/.test(this.s[this.i])) this.i++;
  }
  peek(str) {
    this.ws();
    return this.s.startsWith(str, this.i);
  }
  eat(str) {
    if (!this.peek(str)) throw new Error(`expected '${str}' at ${this.s.slice(this.i, this.i + 40)}`);
    this.i += str.length;
  }
  type() {
    const members = [this.postfix()];
    while (this.peek("|")) {
      this.eat("|");
      members.push(this.postfix());
    }
    return members.length === 1 ? members[0] : { union: members };
  }
  postfix() {
    let t = this.primary();
    while (this.peek("[]")) {
      this.eat("[]");
      t = { array: t };
    }
    return t;
  }
  primary() {
    this.ws();
    if (this.peek("{")) return this.object();
    if (this.peek("(")) {
      this.eat("(");
      const t = this.type();
      this.eat(")");
      return t;
    }
    if (this.peek("Array<")) {
      this.eat("Array<");
      const t = this.type();
      this.eat(">");
      return { array: t };
    }
    if (this.peek('"')) {
      const m = /^"((?:[^"\\]|\\.)*)"/.exec(this.s.slice(this.i));
      this.i += m[0].length;
      return { literal: m[1] };
    }
    const m = /^[\w$.-]+/.exec(this.s.slice(this.i));
    if (!m) throw new Error(`cannot parse type at ${this.s.slice(this.i, this.i + 40)}`);
    this.i += m[0].length;
    return { ref: m[0] };
  }
  object() {
    this.eat("{");
    const members = new Map();
    let index = null;
    for (;;) {
      this.ws();
      if (this.peek("}")) {
        this.eat("}");
        return { members, index };
      }
      if (this.peek("[")) {
        this.i = this.s.indexOf("]", this.i) + 1;
        this.eat(":");
        index = this.type();
      } else {
        const m = /^(?:"((?:[^"\\]|\\.)*)"|([\w$]+))/.exec(this.s.slice(this.i));
        if (!m) throw new Error(`cannot parse member at ${this.s.slice(this.i, this.i + 40)}`);
        this.i += m[0].length;
        if (this.peek("?")) this.eat("?");
        this.eat(":");
        members.set(m[1] ?? m[2], this.type());
      }
      if (this.peek(";")) this.eat(";");
      else if (this.peek(",")) this.eat(",");
    }
  }
}

export class StrictFieldChecker {
  constructor(nodeModules) {
    this.nm = nodeModules;
    this.files = new Map();
  }

  // Unknown-field errors of `obj` ("spec.template...: unknown field x"), or
  // null when no declaration exists for its apiVersion/kind.
  check(obj) {
    const file = path.join(this.nm, moduleDir(obj.apiVersion), `${obj.kind}.d.ts`);
    if (!fs.existsSync(file)) return null;
    const root = this.lookup(file, `I${obj.kind}`);
    if (!root) return null;
    const errors = [];
    this.walk(obj, root, "", errors);
    return errors;
  }

  parse(file) {
    if (this.files.has(file)) return this.files.get(file);
    const text = fs.readFileSync(file, "utf8").replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
    const info = { file, imports: new Map(), decls: new Map(), aliases: new Map(), text };
    for (const m of text.matchAll(/import\s*\{([^}]*)\}\s*from\s*"([^"]+)"/g)) {
      const target = resolveImport(this.nm, file, m[2]);
      for (const part of m[1].split(",").map((p) => p.trim()).filter(Boolean)) {
        const [orig, local] = part.split(/\s+as\s+/);
        info.imports.set(local ?? orig, { file: target, name: orig });
      }
    }
    for (const m of text.matchAll(/export\s+\{([^}]*)\}/g)) {
      for (const part of m[1].split(",").map((p) => p.trim()).filter(Boolean)) {
        const [orig, exported] = part.split(/\s+as\s+/);
        if (exported) info.aliases.set(exported, orig);
      }
    }
    for (const m of text.matchAll(/export\s+interface\s+(\w+)\s*(?:extends\s+([\w\s,.]+?)\s*)?(?=\{)/g)) {
      const p = new TypeParser(text, m.index + m[0].length);
      const node = p.object();
      node.bases = (m[2] ?? "").split(",").map((b) => b.trim()).filter(Boolean);
      info.decls.set(m[1], node);
    }
    for (const m of text.matchAll(/export\s+declare\s+type\s+(\w+)\s*=\s*/g)) {
      const p = new TypeParser(text, m.index + m[0].length);
      info.decls.set(m[1], p.type());
    }
    this.files.set(file, info);
    return info;
  }

  // {node, file} of a named type as seen from `file`, or null (primitive/unknown).
  lookup(file, name) {
    if (PRIMITIVES.has(name)) return null;
    const info = this.parse(file);
    const local = info.aliases.get(name) ?? name;
    if (info.decls.has(local)) return { node: info.decls.get(local), file };
    const imp = info.imports.get(name);
    if (imp && imp.file && fs.existsSync(imp.file)) return this.lookup(imp.file, imp.name);
    return null;
  }

  resolve(node, file) {
    let cur = { node, file };
    for (let depth = 0; cur && cur.node.ref !== undefined && depth < 20; depth++) {
      cur = this.lookup(cur.file, cur.node.ref);
    }
    return cur;
  }

  walk(value, typed, at, errors) {
    const t = this.resolve(typed.node, typed.file);
    if (!t || value === null || value === undefined) return;
    const { node, file } = t;
    if (node.union) {
      const candidates = node.union.filter((u) => {
        const r = this.resolve(u, file);
        if (!r) return false;
        return Array.isArray(value) ? Boolean(r.node.array) : isPlainObject(value) && Boolean(r.node.members);
      });
      if (candidates.length === 0) return;
      let best = null;
      for (const c of candidates) {
        const errs = [];
        this.walk(value, { node: c, file }, at, errs);
        if (errs.length === 0) return;
        if (!best || errs.length < best.length) best = errs;
      }
      errors.push(...best);
      return;
    }
    if (node.array) {
      if (Array.isArray(value)) value.forEach((v, i) => this.walk(v, { node: node.array, file }, `${at}[${i}]`, errors));
      return;
    }
    if (node.members && isPlainObject(value)) {
      const members = this.allMembers(node, file);
      for (const [k, v] of Object.entries(value)) {
        const where = at ? `${at}.${k}` : k;
        if (members.has(k)) this.walk(v, members.get(k), where, errors);
        else if (node.index) this.walk(v, { node: node.index, file }, where, errors);
        else errors.push(`${where}: unknown field`);
      }
    }
  }

  // Map name -> {node, file} of an interface's own and inherited members.
  allMembers(node, file) {
    const out = new Map();
    for (const base of node.bases ?? []) {
      const b = this.lookup(file, base);
      if (b?.node.members) for (const [k, v] of this.allMembers(b.node, b.file)) out.set(k, v);
    }
    for (const [k, v] of node.members) out.set(k, { node: v, file });
    return out;
  }
}

function isPlainObject(v) {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

export function moduleDir(apiVersion) {
  if (apiVersion === "v1") return "kubernetes-models/v1";
  if (apiVersion.startsWith("monitoring.coreos.com/")) return `@kubernetes-models/prometheus-operator/${apiVersion}`;
  return `kubernetes-models/${apiVersion}`;
}

function resolveImport(nm, fromFile, spec) {
  const base = spec.startsWith(".") ? path.resolve(path.dirname(fromFile), spec) : path.join(nm, spec);
  for (const candidate of [`${base}.d.ts`, path.join(base, "index.d.ts")]) {
    if (fs.existsSync(candidate)) return candidate;
  }
  return null;
}
