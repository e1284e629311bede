// Argument validation against a tool's closed schema, with the messages the model saw in
// training: each names the missing, unexpected or mistyped parameter.
import type { z } from 'zod';

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function issueMessage(issue: z.core.$ZodIssue, input: Record<string, unknown>): string[] {
  const name = issue.path.map(String).join('.');
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((key) => `An unexpected parameter \`${key}\` was provided`);
    case 'invalid_type': {
      const value = issue.path.length === 1 ? input[String(issue.path[0])] : undefined;
      if (value === undefined) return [`The required parameter \`${name}\` is missing`];
      return [`The parameter \`${name}\` type is expected as \`${issue.expected}\` but provided as \`${describeType(value)}\``];
    }
    default:
      return [`The parameter \`${name}\` is invalid: ${issue.message}`];
  }
}

export type Validation<T> = { ok: true; value: T } | { ok: false; message: string };

export function validateArguments<Schema extends z.ZodObject>(
  toolName: string,
  schema: Schema,
  input: Record<string, unknown>,
): Validation<z.infer<Schema>> {
  const result = schema.safeParse(input);
  if (result.success) return { ok: true, value: result.data };
  const lines = result.error.issues.flatMap((issue) => issueMessage(issue, input));
  const noun = lines.length === 1 ? 'issue' : 'issues';
  return { ok: false, message: `InputValidationError: ${toolName} failed due to the following ${noun}:\n${lines.join('\n')}` };
}
