// Validates bodies against Discord's official OpenAPI spec (specs/discord-openapi.json).
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";

const here = path.dirname(fileURLToPath(import.meta.url));
const SPEC_PATH = process.env.DISCORD_OPENAPI ?? path.join(here, "../specs/discord-openapi.json");
const SPEC_ID = "discord-openapi.json";

let ajv;
const compiled = new Map();

function load() {
  if (ajv) return ajv;
  if (!existsSync(SPEC_PATH)) {
    throw new Error(`Discord's OpenAPI spec is not at ${SPEC_PATH}: the repository carries it in specs/ (or set DISCORD_OPENAPI)`);
  }
  const spec = JSON.parse(readFileSync(SPEC_PATH, "utf8"));
  spec.$id = SPEC_ID;
  ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
  addFormats(ajv);
  for (const f of ["int32", "int64", "snowflake", "double", "float"]) ajv.addFormat(f, true);
  ajv.addSchema(spec);
  ajv.__spec = spec;
  return ajv;
}

function pointer(...segments) {
  return segments.map((s) => encodeURIComponent(String(s).replaceAll("~", "~0").replaceAll("/", "~1"))).join("/");
}

function validatorFor(ref) {
  if (!compiled.has(ref)) compiled.set(ref, load().compile({ $ref: `${SPEC_ID}#/${ref}` }));
  return compiled.get(ref);
}

function check(ref, body) {
  const validate = validatorFor(ref);
  if (validate(body)) return { ok: true, errors: [] };
  const errors = validate.errors.slice(0, 8).map((e) => `${e.instancePath || "/"} ${e.message} ${JSON.stringify(e.params)}`);
  return { ok: false, errors };
}

/** An interaction response (what the worker answers POST /interactions with). */
export function validateInteractionResponse(body) {
  return check(pointer("paths", "/interactions/{interaction_id}/{interaction_token}/callback", "post", "requestBody", "content", "application/json", "schema"), body);
}

/** A named component schema, e.g. "ApplicationCommandUpdateRequest". */
export function validateSchema(name, body) {
  return check(pointer("components", "schemas", name), body);
}

/** Finds the spec operation for a REST call the worker makes, and validates its JSON body. */
export function validateRestRequest(method, urlPath, body) {
  const spec = load().__spec;
  const rel = urlPath.replace(/^\/api\/v\d+/, "");
  for (const [template, ops] of Object.entries(spec.paths)) {
    const re = new RegExp("^" + template.replace(/\{[^}]+\}/g, "[^/]+") + "$");
    if (!re.test(rel)) continue;
    const op = ops[method.toLowerCase()];
    if (!op) return { ok: false, errors: [`${method} ${template} is not in Discord's API`], operation: null };
    const schema = op.requestBody?.content?.["application/json"]?.schema;
    if (!schema) return { ok: body == null, errors: body == null ? [] : ["this endpoint takes no JSON body"], operation: op.operationId };
    const result = check(pointer("paths", template, method.toLowerCase(), "requestBody", "content", "application/json", "schema"), body);
    return { ...result, operation: op.operationId };
  }
  return { ok: false, errors: [`${method} ${rel} matches no path in Discord's API`], operation: null };
}
