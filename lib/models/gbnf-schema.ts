// Converts a draft-07 JSON Schema (as produced by `toJsonSchema` from "@langchain/core/utils/json_schema"
// on a zod object) into the `GbnfJsonSchema` subset that node-llama-cpp@3.21.1 can turn into a grammar.
//
// node-llama-cpp's subset (node_modules/node-llama-cpp/dist/utils/gbnfJson/types.d.ts) supports:
//   type (string | number | integer | boolean | null, or an array of these), const, enum, oneOf,
//   string minLength/maxLength or format (date-time | time | date only), object properties/required/
//   additionalProperties/minProperties/maxProperties, array items/prefixItems/minItems/maxItems,
//   $defs + "#/$defs/x" refs, description.
// Caveats of the engine: every declared object property is always generated (`required` is not
// consulted), and string lengths count Unicode code points (zod's .max() counts UTF-16 units).
//
// Policy here:
//   - annotations ($schema, $id, title, default, examples, …) and `additionalProperties: false` are stripped;
//   - constraints the grammar cannot express but whose absence still yields valid *shapes*
//     (numeric minimum/maximum/multipleOf, string formats other than date/time ones) are dropped:
//     validate the parsed output with zod afterwards;
//   - local `$ref`s ("#/…", e.g. zod-to-json-schema's "#/properties/a" for reused sub-schemas) are
//     inlined; recursive or external refs throw;
//   - anything else (pattern, allOf with >1 branch, not, if/then/else, uniqueItems, an unconstrained
//     `{}` schema, …) throws an Error naming the construct and its location.
import type { GbnfJsonSchema } from "node-llama-cpp";

type Json = string | number | boolean | null | Json[] | { [k: string]: Json };
type JsonSchemaObject = { [k: string]: unknown };
type Literal = string | number | boolean | null;

type SimpleType = "string" | "number" | "integer" | "boolean" | "null";

const ANNOTATIONS = new Set([
  "$schema",
  "$id",
  "$comment",
  "title",
  "default",
  "examples",
  "readOnly",
  "writeOnly",
  "deprecated",
  "definitions",
  "$defs",
  "description",
]);
/** Keywords the grammar cannot enforce but that only narrow an otherwise-representable value. */
const DROPPED_CONSTRAINTS = new Set(["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"]);
const GRAMMAR_FORMATS = new Set(["date-time", "time", "date"]);
const KNOWN = new Set([
  "type",
  "properties",
  "required",
  "additionalProperties",
  "minProperties",
  "maxProperties",
  "items",
  "additionalItems",
  "minItems",
  "maxItems",
  "minLength",
  "maxLength",
  "format",
  "enum",
  "const",
  "anyOf",
  "oneOf",
  "allOf",
  "$ref",
  "nullable",
]);

export class UnsupportedJsonSchemaError extends Error {
  constructor(construct: string, path: string) {
    super(`Unsupported JSON Schema construct ${construct} at ${path} (node-llama-cpp grammar cannot express it)`);
    this.name = "UnsupportedJsonSchemaError";
  }
}

function isObj(v: unknown): v is JsonSchemaObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function isLiteral(v: unknown): v is Literal {
  return v === null || ["string", "number", "boolean"].includes(typeof v);
}

function resolvePointer(root: JsonSchemaObject, ref: string, path: string): unknown {
  if (!ref.startsWith("#")) throw new UnsupportedJsonSchemaError(`external $ref "${ref}"`, path);
  let cur: unknown = root;
  for (const raw of ref
    .slice(1)
    .split("/")
    .filter((s) => s !== "")) {
    const key = decodeURIComponent(raw).replace(/~1/g, "/").replace(/~0/g, "~");
    if (Array.isArray(cur)) cur = cur[Number(key)];
    else if (isObj(cur)) cur = cur[key];
    else cur = undefined;
    if (cur === undefined) throw new UnsupportedJsonSchemaError(`dangling $ref "${ref}"`, path);
  }
  return cur;
}

/**
 * Converts a draft-07 JSON Schema into node-llama-cpp's `GbnfJsonSchema` subset.
 * Throws `UnsupportedJsonSchemaError` naming the first construct it cannot represent.
 */
export function toGbnfJsonSchema(schema: Record<string, unknown>): GbnfJsonSchema {
  if (!isObj(schema)) throw new UnsupportedJsonSchemaError("non-object schema", "#");
  return convert(schema, "#", schema, []);
}

function convert(node: unknown, path: string, root: JsonSchemaObject, refStack: string[]): GbnfJsonSchema {
  if (node === true || (isObj(node) && Object.keys(node).every((k) => ANNOTATIONS.has(k))))
    throw new UnsupportedJsonSchemaError("unconstrained schema (any value)", path);
  if (!isObj(node)) throw new UnsupportedJsonSchemaError(`schema ${JSON.stringify(node)}`, path);

  const description = typeof node.description === "string" ? { description: node.description } : {};

  if (typeof node.$ref === "string") {
    const ref = node.$ref;
    if (refStack.includes(ref)) throw new UnsupportedJsonSchemaError(`recursive $ref "${ref}"`, path);
    const others = Object.keys(node).filter((k) => k !== "$ref" && !ANNOTATIONS.has(k));
    if (others.length > 0) throw new UnsupportedJsonSchemaError(`"${others[0]}" next to $ref`, path);
    return convert(resolvePointer(root, ref, path), path, root, [...refStack, ref]);
  }

  for (const key of Object.keys(node)) {
    if (ANNOTATIONS.has(key) || DROPPED_CONSTRAINTS.has(key) || KNOWN.has(key)) continue;
    throw new UnsupportedJsonSchemaError(`"${key}"`, path);
  }

  // OpenAPI-style `nullable: true`
  if (node.nullable === true) {
    const { nullable: _n, ...rest } = node;
    return { oneOf: [convert(rest, path, root, refStack), { type: "null" }], ...description };
  }

  if ("const" in node) {
    if (!isLiteral(node.const)) throw new UnsupportedJsonSchemaError("non-scalar const", `${path}/const`);
    return { const: node.const, ...description };
  }

  if ("enum" in node) {
    const values = node.enum;
    if (!Array.isArray(values) || values.length === 0 || !values.every(isLiteral))
      throw new UnsupportedJsonSchemaError("enum with non-scalar or no values", `${path}/enum`);
    return { enum: values, ...description };
  }

  for (const key of ["anyOf", "oneOf"] as const) {
    if (key in node) {
      const alts = node[key];
      if (!Array.isArray(alts) || alts.length === 0) throw new UnsupportedJsonSchemaError(`empty ${key}`, path);
      const converted = alts.map((alt, i) => convert(alt, `${path}/${key}/${i}`, root, refStack));
      return converted.length === 1 ? converted[0]! : { oneOf: converted, ...description };
    }
  }

  if ("allOf" in node) {
    const parts = node.allOf;
    if (!Array.isArray(parts) || parts.length !== 1) throw new UnsupportedJsonSchemaError("allOf", path);
    return convert(parts[0], `${path}/allOf/0`, root, refStack);
  }

  const type = node.type;
  if (Array.isArray(type)) {
    const types = type as unknown[];
    if (types.length === 0) throw new UnsupportedJsonSchemaError("empty type array", path);
    if (types.length === 1) return convert({ ...node, type: types[0] }, path, root, refStack);
    const alts = types.map((t) => convert({ ...node, type: t }, path, root, refStack));
    // collapse to a `type: [...]` list when every branch is a bare simple type
    const bare = alts.every(
      (a) =>
        isObj(a) &&
        Object.keys(a)
          .filter((k) => k !== "description")
          .join() === "type",
    );
    if (bare) return { type: type as SimpleType[], ...description };
    return { oneOf: alts, ...description };
  }
  if (typeof type !== "string") throw new UnsupportedJsonSchemaError("schema without type/enum/const/anyOf", path);

  switch (type) {
    case "string": {
      const format = node.format;
      if (typeof format === "string" && GRAMMAR_FORMATS.has(format))
        return { type: "string", format: format as "date-time" | "time" | "date", ...description };
      const out: { type: "string"; minLength?: number; maxLength?: number; description?: string } = {
        type: "string",
        ...description,
      };
      if (typeof node.minLength === "number") out.minLength = node.minLength;
      if (typeof node.maxLength === "number") out.maxLength = node.maxLength;
      return out;
    }
    case "number":
    case "integer":
    case "boolean":
    case "null":
      return { type, ...description };
    case "object": {
      const props = node.properties ?? {};
      if (!isObj(props)) throw new UnsupportedJsonSchemaError("non-object properties", `${path}/properties`);
      const properties: Record<string, GbnfJsonSchema> = {};
      for (const [k, v] of Object.entries(props)) properties[k] = convert(v, `${path}/properties/${k}`, root, refStack);
      const out: Record<string, unknown> = { type: "object", properties, ...description };
      if (Array.isArray(node.required))
        out.required = node.required.filter((r) => typeof r === "string" && r in properties);
      const ap = node.additionalProperties;
      if (ap === true) out.additionalProperties = true;
      else if (isObj(ap)) out.additionalProperties = convert(ap, `${path}/additionalProperties`, root, refStack);
      if (typeof node.minProperties === "number") out.minProperties = node.minProperties;
      if (typeof node.maxProperties === "number") out.maxProperties = node.maxProperties;
      if (Object.keys(properties).length === 0 && out.additionalProperties === undefined)
        throw new UnsupportedJsonSchemaError("object without properties or additionalProperties", path);
      return out as GbnfJsonSchema;
    }
    case "array": {
      const out: Record<string, unknown> = { type: "array", ...description };
      const items = node.items;
      if (Array.isArray(items)) {
        // draft-07 tuple form (zod tuples)
        out.prefixItems = items.map((it, i) => convert(it, `${path}/items/${i}`, root, refStack));
        const extra = node.additionalItems;
        if (extra === undefined || extra === false) out.maxItems = items.length;
        else if (isObj(extra)) out.items = convert(extra, `${path}/additionalItems`, root, refStack);
        else if (extra !== true) throw new UnsupportedJsonSchemaError("additionalItems", path);
        out.minItems = items.length;
      } else if (items !== undefined) {
        out.items = convert(items, `${path}/items`, root, refStack);
      } else {
        throw new UnsupportedJsonSchemaError("array without items", path);
      }
      if (typeof node.minItems === "number")
        out.minItems = Math.max(node.minItems, (out.minItems as number | undefined) ?? 0);
      if (typeof node.maxItems === "number") out.maxItems = node.maxItems;
      return out as GbnfJsonSchema;
    }
    default:
      throw new UnsupportedJsonSchemaError(`type "${type}"`, path);
  }
}

/** Stable cache key for a JSON Schema (key order normalised). */
export function schemaCacheKey(schema: unknown): string {
  const norm = (v: unknown): Json =>
    Array.isArray(v)
      ? v.map(norm)
      : isObj(v)
        ? Object.fromEntries(
            Object.keys(v)
              .sort()
              .map((k) => [k, norm(v[k])]),
          )
        : (v as Json);
  return JSON.stringify(norm(schema));
}
