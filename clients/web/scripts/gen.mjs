// Generates the TypeScript protocol code, src/gen/, from the repository's
// proto/switchboard/client/v1/client.proto with protoc and protoc-gen-es
// (pinned in package.json). src/gen/ is committed, so that the package builds
// from its own folder without the repository or protoc; run this after
// changing the proto. Needs the repository around the package and protoc
// (PROTOC, default /usr/bin/protoc).
//
//   node scripts/gen.mjs            regenerate src/gen/
//   node scripts/gen.mjs --check    exit 1 (naming the files) when src/gen/
//                                   differs from a fresh generation
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const pkg = resolve(here, '..');
const root = resolve(pkg, '../..');
const proto = 'proto/switchboard/client/v1/client.proto';
const gen = join(pkg, 'src/gen');
const protoc = process.env.PROTOC || '/usr/bin/protoc';
const check = process.argv.includes('--check');

for (const [what, path] of [
  [`${proto} (the Switchboard repository around this package)`, join(root, proto)],
  ['protoc (apt-get install protobuf-compiler, or set PROTOC)', protoc],
  ['protoc-gen-es (npm ci)', join(pkg, 'node_modules/.bin/protoc-gen-es')],
]) {
  if (!existsSync(path)) {
    console.error(`gen: ${what} not found at ${path}; src/gen/ is committed, so building does not need this`);
    process.exit(2);
  }
}

function generate(out) {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  execFileSync(
    protoc,
    [
      `--plugin=protoc-gen-es=${join(pkg, 'node_modules/.bin/protoc-gen-es')}`,
      `--es_out=${out}`,
      '--es_opt=target=ts,import_extension=js',
      `-I${root}`,
      '-I/usr/include',
      proto,
    ],
    { cwd: root, stdio: 'inherit' },
  );
}

/** Relative path -> contents of every file under `dir`. */
function files(dir, base = dir, into = new Map()) {
  if (!existsSync(dir)) return into;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files(path, base, into);
    else into.set(relative(base, path), readFileSync(path, 'utf8'));
  }
  return into;
}

if (!check) {
  generate(gen);
} else {
  const fresh = mkdtempSync(join(tmpdir(), 'sb-web-gen-'));
  try {
    generate(fresh);
    const want = files(fresh);
    const have = files(gen);
    const stale = [...new Set([...want.keys(), ...have.keys()])].filter((f) => want.get(f) !== have.get(f)).sort();
    if (stale.length > 0) {
      console.error(`gen: src/gen/ is stale (run \`npm run gen\` in clients/web and commit): ${stale.join(', ')}`);
      process.exit(1);
    }
    console.error(`gen: src/gen/ matches ${proto}`);
  } finally {
    rmSync(fresh, { recursive: true, force: true });
  }
}
