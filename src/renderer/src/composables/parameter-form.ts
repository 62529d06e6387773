/**
 * Form fields for the parameters the service describes (see UnlearningCatalogue): the
 * text a field holds turned into the value the config schema checks, so the schema's own
 * messages show next to the field. An empty field means the default.
 */
import type { ParameterInfo } from '../../../shared/unlearning-catalogue';

export type FieldText = string | boolean;

export function parameterValue(param: ParameterInfo, text: FieldText | undefined): unknown {
  if (typeof text === 'boolean') return text;
  if (text === undefined || text.trim() === '') return undefined;
  switch (param.kind) {
    case 'number':
    case 'integer':
      return Number(text);
    case 'numbers':
      return numberList(text);
    default:
      return text;
  }
}

/** "0.01, 0.02" as numbers; a part that is no number stays NaN for the schema to name. */
export function numberList(text: string): number[] {
  return text
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map((part) => Number(part));
}

/** The field's starting text: its default, or empty (a default that depends on the method shows as placeholder). */
export function initialText(param: ParameterInfo): FieldText {
  if (param.kind === 'boolean') return param.default === true;
  return param.default === undefined ? '' : String(param.default);
}

/** maskRatio -> mask ratio */
export function parameterLabel(name: string): string {
  return name.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
}

/** "in (0, 1]", ">= 0" */
export function rangeText(param: ParameterInfo): string {
  const { min, max } = param;
  if (min && max) return `in ${min.exclusive ? '(' : '['}${min.value}, ${max.value}${max.exclusive ? ')' : ']'}`;
  if (min) return `${min.exclusive ? '>' : '>='} ${min.value}`;
  if (max) return `${max.exclusive ? '<' : '<='} ${max.value}`;
  return '';
}
