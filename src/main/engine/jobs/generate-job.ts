/**
 * Continues a prompt with a language-model checkpoint: the tokenizer saved in the
 * checkpoint encodes the prompt (unknown characters as bytes), then greedy or seeded
 * sampled generation.
 */
import path from 'node:path';
import type { GenerateJobResult } from '../../../shared/engine-protocol.js';
import type { GenerateRequest } from '../../../shared/generate.js';
import { loadLanguageModel, resolveCheckpoint } from '../checkpoint.js';
import { generateTokens } from '../text/generate.js';
import { encodePrompt } from '../text/sequences.js';
import { BOS, Tokenizer } from '../text/tokenizer.js';
import { checkpointsRoot } from './train-job.js';

export function runGenerateJob(request: GenerateRequest, dataDir: string): GenerateJobResult {
  const folder = resolveCheckpoint(checkpointsRoot(dataDir), request.checkpoint);
  const model = loadLanguageModel(folder);
  try {
    const tokenizer = new Tokenizer(model.spec.tokenizer);
    const prompt = request.question ? encodePrompt(tokenizer, request.prompt) : [BOS, ...tokenizer.encode(request.prompt)];
    const tokens = generateTokens(model, prompt, { maxTokens: request.maxTokens, temperature: request.temperature, seed: request.seed });
    return {
      kind: 'generate',
      checkpoint: { hash: path.basename(folder), path: folder },
      text: tokenizer.decode(tokens),
      tokens: tokens.length,
      finished: tokens.length < request.maxTokens,
    };
  } finally {
    model.dispose();
  }
}
