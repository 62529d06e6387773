/**
 * A study config saved as the YAML file `lethe study run` reads: checked by the same
 * schema first (nothing is written for a config it refuses), written under a temporary
 * name and renamed into place.
 */
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { parseStudyConfig, type StudyConfigInput } from '../../shared/study-config.js';
import { InvalidRequestError } from '../../shared/validation.js';

export const STUDIES_FOLDER = 'studies';

export function writeStudyFile(dataDir: string, config: StudyConfigInput, file?: string): { path: string; yaml: string } {
  const study = parseStudyConfig(config);
  if (file !== undefined) {
    if (!path.isAbsolute(file)) throw new InvalidRequestError(`the study file must be an absolute path, got '${file}'`);
    if (!/\.ya?ml$/i.test(file)) throw new InvalidRequestError(`the study file must end in .yaml or .yml, got '${file}'`);
    if (!fs.existsSync(path.dirname(file))) throw new InvalidRequestError(`the folder of the study file does not exist: ${path.dirname(file)}`);
  }
  const target = file ?? path.join(dataDir, STUDIES_FOLDER, `${study.name.replace(/[^A-Za-z0-9._-]+/g, '-')}.yaml`);
  // What the user wrote, not the schema's filled-in defaults: the file stays as short as the form.
  const yaml = YAML.stringify(config);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const temporary = `${target}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(temporary, yaml);
    fs.renameSync(temporary, target);
  } finally {
    fs.rmSync(temporary, { force: true });
  }
  return { path: target, yaml };
}
