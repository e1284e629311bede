// JSON Schema -> GBNF (llama.cpp grammar) in the model's own JSON dialect: `", "` and `": "`
// separators, no other whitespace, properties in schema order (model-dialect.md section 3).
// Pure. Used to constrain tool calls (`{"name": <tool>, "arguments": <its schema>}`) and
// `responseFormat` answers. Strings, integers and arrays are length-capped so that even a
// random-weight model terminates; the caps are parameters, so a real model can get roomy ones.
import type { ToolSignature } from '../../protocol/system-prompt.js';

export interface GrammarLimits {
  /** Longest string value in characters (a schema's smaller maxLength wins). */
  maxStringLength: number;
  /** Most digits in an integer part. */
  maxIntegerDigits: number;
  /** Most items in an array (a schema's smaller maxItems wins). */
  maxArrayItems: number;
}

export const DEFAULT_GRAMMAR_LIMITS: Readonly<GrammarLimits> = Object.freeze({ maxStringLength: 2048, maxIntegerDigits: 9, maxArrayItems: 64 });

type Schema = Record<string, unknown>;

/** A GBNF string literal for exact text. */
export function gbnfLiteral(text: string): string {
  let out = '"';
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    if (char === '"') out += '\\"';
    else if (char === '\\') out += '\\\\';
    else if (char === '\n') out += '\\n';
    else if (char === '\r') out += '\\r';
    else if (char === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += char;
  }
  return `${out}"`;
}

function isSchema(value: unknown): value is Schema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function finiteNumber(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** JSON text of a constant in the dialect's separators. */
function dialectJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(dialectJson).join(', ')}]`;
  if (isSchema(value)) return `{${Object.entries(value).map(([key, item]) => `${JSON.stringify(key)}: ${dialectJson(item)}`).join(', ')}}`;
  return JSON.stringify(value) ?? 'null';
}

class GrammarBuilder {
  private readonly rules = new Map<string, string>();
  private readonly names = new Map<string, string>();

  constructor(private readonly limits: GrammarLimits) {}

  /** Adds a rule (shared when the same body was added before) and returns its name. */
  rule(hint: string, body: string): string {
    const existing = this.names.get(body);
    if (existing) return existing;
    const base = hint.replace(/[^a-zA-Z0-9]+/g, '-').replace(/^-+|-+$/g, '').toLowerCase() || 'r';
    let name = base;
    for (let suffix = 2; this.rules.has(name) || name === 'root'; suffix++) name = `${base}-${suffix}`;
    this.rules.set(name, body);
    this.names.set(body, name);
    return name;
  }

  text(root: string): string {
    return [`root ::= ${root}`, ...[...this.rules].map(([name, body]) => `${name} ::= ${body}`)].join('\n') + '\n';
  }

  string(schema: Schema): string {
    const character = this.rule('char', '[^"\\\\\\x00-\\x1F\\x7F] | "\\\\" (["\\\\/bfnrt] | "u" [0-9a-fA-F]{4})');
    const max = Math.min(this.limits.maxStringLength, finiteNumber(schema.maxLength) ?? Number.POSITIVE_INFINITY);
    const min = Math.min(max, Math.max(0, finiteNumber(schema.minLength) ?? 0));
    return this.rule(`string-${min}-${max}`, `"\\"" ${character}{${min},${max}} "\\""`);
  }

  integer(schema: Schema): string {
    const minimum = finiteNumber(schema.minimum);
    const exclusiveMinimum = finiteNumber(schema.exclusiveMinimum);
    const maximum = finiteNumber(schema.maximum);
    const lowest = exclusiveMinimum !== undefined ? Math.floor(exclusiveMinimum) + 1 : minimum !== undefined ? Math.ceil(minimum) : undefined;
    if (lowest !== undefined && maximum !== undefined && maximum - lowest <= 16 && maximum >= lowest) {
      const values = Array.from({ length: Math.floor(maximum) - lowest + 1 }, (_, index) => gbnfLiteral(String(lowest + index)));
      return this.rule(`integer-${lowest}-${maximum}`, values.join(' | '));
    }
    // One digit fewer than the maximum has keeps every value under it.
    const digits = Math.max(1, Math.min(this.limits.maxIntegerDigits, maximum !== undefined ? String(Math.floor(Math.abs(maximum))).length - 1 : Number.POSITIVE_INFINITY));
    const tail = digits > 1 ? ` [0-9]{0,${digits - 1}}` : '';
    const positive = `[1-9]${tail}`;
    if (lowest !== undefined && lowest >= 1) return this.rule(`integer-positive-${digits}`, positive);
    const natural = `"0" | ${positive}`;
    if (lowest !== undefined && lowest >= 0) return this.rule(`integer-natural-${digits}`, natural);
    return this.rule(`integer-${digits}`, `"-"? (${natural})`);
  }

  number(schema: Schema): string {
    const minimum = finiteNumber(schema.minimum) ?? finiteNumber(schema.exclusiveMinimum);
    const sign = minimum !== undefined && minimum >= 0 ? '' : '"-"? ';
    const whole = `("0" | [1-9] [0-9]{0,${this.limits.maxIntegerDigits - 1}})`;
    return this.rule(`number-${sign === '' ? 'natural' : 'signed'}`, `${sign}${whole} ("." [0-9]{1,6})?`);
  }

  array(schema: Schema, hint: string): string {
    const item = this.value(schema.items, `${hint}-item`);
    const max = Math.min(this.limits.maxArrayItems, finiteNumber(schema.maxItems) ?? Number.POSITIVE_INFINITY);
    if (max < 1) return this.rule('empty-array', '"[]"');
    const more = max > 1 ? ` ("," " " ${item}){0,${max - 1}}` : '';
    const items = `${item}${more}`;
    const required = (finiteNumber(schema.minItems) ?? 0) >= 1;
    return this.rule(`${hint}-array`, required ? `"[" ${items} "]"` : `"[" (${items})? "]"`);
  }

  object(schema: Schema, hint: string): string {
    const properties = isSchema(schema.properties) ? Object.entries(schema.properties) : [];
    if (properties.length === 0) return schema.additionalProperties === false ? this.rule('empty-object', '"{}"') : this.anyObject();
    const required = new Set(Array.isArray(schema.required) ? schema.required.filter((name): name is string => typeof name === 'string') : []);
    const members = properties.map(([name, property]) => `${gbnfLiteral(`${JSON.stringify(name)}: `)} ${this.value(property, `${hint}-${name}`)}`);
    // Optional members in a fixed order: `first[i]` emits members i.. with none written yet,
    // `rest[i]` emits them after one was written (so with a leading comma). Linear in size.
    let first = '';
    let rest = '';
    for (let index = properties.length - 1; index >= 0; index--) {
      const member = members[index];
      const isRequired = required.has(properties[index][0]);
      const restName = rest === '' ? '' : ` ${rest}`;
      const nextRest = isRequired ? `"," " " ${member}${restName}` : `("," " " ${member})?${restName}`;
      const nextFirst = isRequired ? `${member}${restName}` : first === '' ? `(${member}${restName})?` : `(${member}${restName} | ${first})`;
      rest = this.rule(`${hint}-rest-${index}`, nextRest);
      first = this.rule(`${hint}-from-${index}`, nextFirst);
    }
    return this.rule(`${hint}-object`, `"{" ${first} "}"`);
  }

  anyObject(): string {
    const value = this.anyValue();
    const key = this.string({});
    const member = `${key} ": " ${value}`;
    return this.rule('any-object', `"{" (${member} ("," " " ${member}){0,${this.limits.maxArrayItems - 1}})? "}"`);
  }

  /** Any JSON value; recursive through `any-object` and `any-array`. */
  anyValue(): string {
    const existing = this.names.get('ANY');
    if (existing) return existing;
    // Reserve the name first: the body refers to it.
    const name = this.rule('any-value', 'ANY');
    const array = this.rule('any-array', `"[" (${name} ("," " " ${name}){0,${this.limits.maxArrayItems - 1}})? "]"`);
    const body = [this.anyObject(), array, this.string({}), this.number({}), '"true"', '"false"', '"null"'].join(' | ');
    this.rules.set(name, body);
    return name;
  }

  value(schema: unknown, hint: string): string {
    if (!isSchema(schema)) return this.anyValue();
    if ('const' in schema) return this.rule(`${hint}-const`, gbnfLiteral(dialectJson(schema.const)));
    if (Array.isArray(schema.enum) && schema.enum.length > 0) return this.rule(`${hint}-enum`, schema.enum.map((item) => gbnfLiteral(dialectJson(item))).join(' | '));
    const choices = Array.isArray(schema.anyOf) ? schema.anyOf : Array.isArray(schema.oneOf) ? schema.oneOf : undefined;
    if (choices && choices.length > 0) return this.rule(`${hint}-choice`, choices.map((choice, index) => this.value(choice, `${hint}-${index}`)).join(' | '));
    if (Array.isArray(schema.allOf) && schema.allOf.length === 1) return this.value(schema.allOf[0], hint);
    const types = Array.isArray(schema.type) ? schema.type : [schema.type ?? (isSchema(schema.properties) ? 'object' : undefined)];
    const alternatives = types.map((type) => this.ofType(type, schema, hint));
    if (alternatives.some((alternative) => alternative === undefined)) return this.anyValue();
    return alternatives.length === 1 ? (alternatives[0] as string) : this.rule(`${hint}-types`, alternatives.join(' | '));
  }

  private ofType(type: unknown, schema: Schema, hint: string): string | undefined {
    switch (type) {
      case 'string':
        return this.string(schema);
      case 'integer':
        return this.integer(schema);
      case 'number':
        return this.number(schema);
      case 'boolean':
        return this.rule('boolean', '"true" | "false"');
      case 'null':
        return this.rule('null', '"null"');
      case 'array':
        return this.array(schema, hint);
      case 'object':
        return this.object(schema, hint);
      default:
        return undefined;
    }
  }
}

/** A grammar for one JSON value matching `schema`. */
export function jsonSchemaGrammar(schema: object, limits: GrammarLimits = DEFAULT_GRAMMAR_LIMITS): string {
  const builder = new GrammarBuilder(limits);
  return builder.text(builder.value(schema, 'value'));
}

/**
 * What follows a `<tool_call>` token: `\n{"name": "X", "arguments": {...}}\n`, X one of
 * the tools and the arguments closed over X's schema. The closing tag is not part of it:
 * the engine appends the real `</tool_call>` token once the grammar is complete.
 */
export function toolCallGrammar(tools: readonly ToolSignature[], limits: GrammarLimits = DEFAULT_GRAMMAR_LIMITS): string {
  if (tools.length === 0) throw new Error('toolCallGrammar needs at least one tool');
  const builder = new GrammarBuilder(limits);
  const calls = tools.map((tool) => {
    const args = builder.value(tool.parameters, `${tool.name}-args`);
    return builder.rule(`call-${tool.name}`, `${gbnfLiteral(`{"name": ${JSON.stringify(tool.name)}, "arguments": `)} ${args} "}"`);
  });
  return builder.text(`"\\n" (${calls.join(' | ')}) "\\n"`);
}
