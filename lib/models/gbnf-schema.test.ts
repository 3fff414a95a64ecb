import { describe, expect, it } from "vitest";
import { z } from "zod";
import { toJsonSchema } from "@langchain/core/utils/json_schema";
import { schemaCacheKey, toGbnfJsonSchema, UnsupportedJsonSchemaError } from "./gbnf-schema.js";

const js = (schema: z.ZodTypeAny): Record<string, unknown> => toJsonSchema(schema);
const prop = (schema: z.ZodTypeAny): unknown =>
  (toGbnfJsonSchema(js(z.object({ p: schema }))) as { properties: Record<string, unknown> }).properties.p;

describe("toGbnfJsonSchema", () => {
  it("converts the turn-reply zod object, stripping $schema/additionalProperties and keeping maxLength", () => {
    const Reply = z.object({
      text: z.string().max(200).describe("what the persona says"),
      ends_conversation: z.boolean(),
    });
    expect(toGbnfJsonSchema(js(Reply))).toEqual({
      type: "object",
      properties: {
        text: { type: "string", maxLength: 200, description: "what the persona says" },
        ends_conversation: { type: "boolean" },
      },
      required: ["text", "ends_conversation"],
    });
  });

  it("handles scalar types, minLength, enum and const", () => {
    expect(prop(z.number())).toEqual({ type: "number" });
    expect(prop(z.number().int())).toEqual({ type: "integer" });
    expect(prop(z.string().min(2).max(5))).toEqual({ type: "string", minLength: 2, maxLength: 5 });
    expect(prop(z.enum(["de", "fr"]))).toEqual({ enum: ["de", "fr"] });
    expect(prop(z.literal("x"))).toEqual({ const: "x" });
    expect(prop(z.literal(3))).toEqual({ const: 3 });
    expect(prop(z.null())).toEqual({ type: "null" });
  });

  it("drops numeric bounds and non-grammar string formats, keeps date formats", () => {
    expect(prop(z.number().int().min(0).max(10))).toEqual({ type: "integer" });
    expect(prop(z.string().email())).toEqual({ type: "string" });
    expect(prop(z.string().datetime())).toEqual({ type: "string", format: "date-time" });
  });

  it("handles nullable / unions of simple types and nullable objects", () => {
    expect(prop(z.string().nullable())).toEqual({ type: ["string", "null"] });
    expect(prop(z.union([z.string(), z.number()]))).toEqual({ type: ["string", "number"] });
    expect(prop(z.string().max(4).nullable())).toEqual({
      oneOf: [{ type: "string", maxLength: 4 }, { type: "null" }],
    });
    expect(prop(z.object({ x: z.boolean() }).nullable())).toEqual({
      oneOf: [{ type: "object", properties: { x: { type: "boolean" } }, required: ["x"] }, { type: "null" }],
    });
    expect(toGbnfJsonSchema({ type: "string", nullable: true })).toEqual({
      oneOf: [{ type: "string" }, { type: "null" }],
    });
  });

  it("handles arrays (items/minItems/maxItems), tuples and records", () => {
    expect(prop(z.array(z.string().min(1)).min(1).max(3))).toEqual({
      type: "array",
      items: { type: "string", minLength: 1 },
      minItems: 1,
      maxItems: 3,
    });
    expect(prop(z.tuple([z.string(), z.number()]))).toEqual({
      type: "array",
      prefixItems: [{ type: "string" }, { type: "number" }],
      minItems: 2,
      maxItems: 2,
    });
    expect(prop(z.record(z.number()))).toEqual({
      type: "object",
      properties: {},
      additionalProperties: { type: "number" },
    });
  });

  it("keeps optional properties out of `required` (the engine still generates them)", () => {
    expect(toGbnfJsonSchema(js(z.object({ a: z.string(), b: z.number().optional() })))).toEqual({
      type: "object",
      properties: { a: { type: "string" }, b: { type: "number" } },
      required: ["a"],
    });
  });

  it("inlines local $refs produced for reused sub-schemas", () => {
    const Person = z.object({ name: z.string() });
    const out = toGbnfJsonSchema(js(z.object({ a: Person, b: Person, c: z.array(Person) })));
    const person = { type: "object", properties: { name: { type: "string" } }, required: ["name"] };
    expect(out).toEqual({
      type: "object",
      properties: { a: person, b: person, c: { type: "array", items: person } },
      required: ["a", "b", "c"],
    });
  });

  it("throws a clear error naming unsupported constructs", () => {
    expect(() => toGbnfJsonSchema(js(z.object({ code: z.string().regex(/^[A-Z]+$/) })))).toThrow(
      /Unsupported JSON Schema construct "pattern" at #\/properties\/code/,
    );
    expect(() => toGbnfJsonSchema(js(z.object({ x: z.any() })))).toThrow(/unconstrained schema.*#\/properties\/x/);
    expect(() =>
      toGbnfJsonSchema(js(z.object({ i: z.intersection(z.object({ a: z.string() }), z.object({ b: z.string() })) }))),
    ).toThrow(UnsupportedJsonSchemaError);
    type Tree = { kids: Tree[] };
    const Tree: z.ZodType<Tree> = z.lazy(() => z.object({ kids: z.array(Tree) }));
    expect(() => toGbnfJsonSchema(js(z.object({ t: Tree })))).toThrow(/recursive \$ref "#\/properties\/t"/);
    expect(() => toGbnfJsonSchema({ type: "array", items: { type: "string" }, uniqueItems: true })).toThrow(
      /"uniqueItems" at #/,
    );
    expect(() => toGbnfJsonSchema({ $ref: "https://example.com/s.json" })).toThrow(/external \$ref/);
    expect(() => toGbnfJsonSchema({ not: { type: "string" } })).toThrow(/"not"/);
  });
});

describe("schemaCacheKey", () => {
  it("is independent of key order", () => {
    expect(schemaCacheKey({ a: 1, b: { d: 2, c: [1, { f: 1, e: 2 }] } })).toBe(
      schemaCacheKey({ b: { c: [1, { e: 2, f: 1 }], d: 2 }, a: 1 }),
    );
    expect(schemaCacheKey({ a: 1 })).not.toBe(schemaCacheKey({ a: 2 }));
  });
});
