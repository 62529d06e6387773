/**
 * The unlearning methods and aggregators as the window's form shows them, read from
 * their registries (METHOD_INFO, AGGREGATORS) and the options' schema: a new method or
 * aggregator file appears in the form with its parameters, defaults and ranges, and no
 * window code changes.
 */
import { z } from 'zod';
import { COMMON_UNLEARN_OPTIONS, UnlearnConfigSchema } from '../../shared/unlearn-config.js';
import type { ParameterInfo, UnlearningCatalogue } from '../../shared/unlearning-catalogue.js';
import { AGGREGATORS, type AggregatorInfo } from '../engine/moo/registry.js';
import { METHOD_INFO, type MethodInfo } from '../engine/unlearn/method-info.js';

interface JsonSchemaField {
  type?: string;
  description?: string;
  default?: number | string | boolean;
  enum?: string[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  items?: JsonSchemaField;
}

const FIELDS = (z.toJSONSchema(UnlearnConfigSchema, { io: 'input' }) as { properties: Record<string, JsonSchemaField> }).properties;
/** What the form asks for apart from the options: what to unlearn, and the method itself. */
const CHOSEN_ELSEWHERE = new Set(['checkpoint', 'forgetSet', 'method', 'aggregator']);

/** A range's end; integers' safe-integer limits are no range. */
function bound(exclusive: number | undefined, inclusive: number | undefined): ParameterInfo['min'] {
  if (exclusive !== undefined) return { value: exclusive, exclusive: true };
  if (inclusive !== undefined && Math.abs(inclusive) < Number.MAX_SAFE_INTEGER) return { value: inclusive, exclusive: false };
  return undefined;
}

/** A config option as a form field; an option the config cannot set (CAGrad's c) is not one. */
function parameter(name: string): ParameterInfo | undefined {
  const field = FIELDS[name];
  if (!field) return undefined;
  const kind: ParameterInfo['kind'] = field.enum ? 'choice' : field.type === 'array' ? 'numbers' : field.type === 'boolean' ? 'boolean' : field.type === 'integer' ? 'integer' : 'number';
  const bounds = kind === 'numbers' ? field.items! : field;
  const info: ParameterInfo = { name, kind, description: field.description ?? '' };
  if (field.default !== undefined) info.default = field.default;
  if (field.enum) info.choices = field.enum;
  const min = bound(bounds.exclusiveMinimum, bounds.minimum);
  const max = bound(bounds.exclusiveMaximum, bounds.maximum);
  if (min) info.min = min;
  if (max) info.max = max;
  return info;
}

const parameters = (names: readonly string[], except: ReadonlySet<string> = new Set()) =>
  names.filter((n) => !except.has(n) && !CHOSEN_ELSEWHERE.has(n)).flatMap((n) => parameter(n) ?? []);

export function unlearningCatalogue(
  methods: Record<string, MethodInfo> = METHOD_INFO,
  aggregators: Record<string, AggregatorInfo> = AGGREGATORS,
): UnlearningCatalogue {
  const common = new Set<string>(COMMON_UNLEARN_OPTIONS);
  return {
    common: parameters(COMMON_UNLEARN_OPTIONS),
    methods: Object.entries(methods).map(([name, info]) => ({
      name,
      description: info.description,
      objectives: info.objectives,
      multiObjective: info.multiObjective,
      defaults: info.defaults,
      parameters: parameters(info.options, common),
    })),
    aggregators: Object.entries(aggregators).map(([name, info]) => ({ name, description: info.description, parameters: parameters(info.options, common) })),
  };
}
