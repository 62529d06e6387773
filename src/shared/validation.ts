/** One way to turn a schema failure into a message that names each bad field. */
import { z } from 'zod';
import { nearestName } from './nearest-name.js';

/** Bad input: the caller can fix it (exit code 2 on the command line); engine-side input errors extend it. */
export class InvalidRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** zod issues as one line; a field is named unless its message already says it in words. */
export function formatIssues(issues: readonly { path: readonly PropertyKey[]; message: string }[]): string {
  return issues
    .map((issue) => {
      const field = issue.path.map(String).join('.');
      const inWords = field.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
      return field && !issue.message.toLowerCase().includes(inWords) ? `${field}: ${issue.message}` : issue.message;
    })
    .join('; ');
}

/** A schema field that must be a positive integer, with a message naming it. */
export const positiveInt = (what: string) =>
  z.number({ error: `${what} must be a finite number` }).int(`${what} must be a positive integer`).positive(`${what} must be a positive integer`);

/**
 * Strict objects' unknown keys, each with its full path and the valid key nearest to it
 * (original.epoch: unknown key; did you mean 'epochs'?), else the valid keys.
 */
export function explainUnknownKeys(issue: z.core.$ZodRawIssue): string | undefined {
  if (issue.code !== 'unrecognized_keys' || !(issue.inst instanceof z.ZodObject)) return undefined;
  const valid = Object.keys(issue.inst.shape);
  return issue.keys
    .map((key) => {
      const nearest = nearestName(key, valid);
      const where = [...(issue.path ?? []), key].map(String).join('.');
      return `${where}: unknown key; ${nearest === undefined ? `valid keys are ${valid.join(', ')}` : `did you mean '${nearest}'?`}`;
    })
    .join('; ');
}

/**
 * A schema for input of several kinds: `choose` picks the kind's schema from the input (a
 * field that says what it is), and the errors are that schema's, naming its fields.
 */
export function schemaChosenBy<T>(choose: (input: unknown) => z.ZodType<T>) {
  return z.unknown().transform((input, ctx): T => {
    const parsed = choose(input).safeParse(input, { error: explainUnknownKeys });
    if (parsed.success) return parsed.data;
    for (const issue of parsed.error.issues) ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
    return z.NEVER;
  });
}

/** Parses or throws an InvalidRequestError: "invalid <what>: <each problem>". */
export function parseOrExplain<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const result = schema.safeParse(input, { error: explainUnknownKeys });
  if (result.success) return result.data;
  throw new InvalidRequestError(`invalid ${what}: ${formatIssues(result.error.issues)}`);
}
