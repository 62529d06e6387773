/** One way to turn a schema failure into a message that names each bad field. */
import { z } from 'zod';

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

/** Parses or throws an InvalidRequestError: "invalid <what>: <each problem>". */
export function parseOrExplain<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new InvalidRequestError(`invalid ${what}: ${formatIssues(result.error.issues)}`);
}
