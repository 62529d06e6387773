import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { InvalidRequestError } from '../src/shared/validation.js';
import { serviceForTests } from './helpers.js';

const { dataDir, service } = serviceForTests('lm-service');
const small = { model: 'transformer-tiny' as const, people: 3, attributes: 2, generalSentences: 2, epochs: 2, batchSize: 8 };

describe('language models through the service', () => {
  it('records an original and a Retrain with their checkpoints and per-epoch metrics; generate reads them', async () => {
    const original = await service.waitForRun((await service.startLanguageModelTraining(small)).id);
    expect(original.status).toBe('finished');
    const detail = await service.getRun(original.id);
    expect(detail.kind).toBe('train');
    expect(detail.checkpoints.map((c) => [c.role, c.model, c.dataset])).toEqual([['original', 'transformer-tiny', 'facts']]);
    expect(detail.metrics.train_loss!.map((m) => m.step)).toEqual([1, 2]);
    expect(detail.metrics.parameter_count![0]!.value).toBeGreaterThan(50_000);

    const retrain = await service.waitForRun((await service.startLanguageModelTraining({ ...small, retainOf: 'forget01' })).id);
    const retrainDetail = await service.getRun(retrain.id);
    expect(retrainDetail.kind).toBe('retrain');
    expect(retrainDetail.checkpoints.map((c) => c.role)).toEqual(['retrain']);
    const provenance = JSON.parse(fs.readFileSync(path.join(retrainDetail.checkpoints[0]!.path, 'provenance.json'), 'utf8'));
    expect(provenance.people).toHaveLength(2);

    const answer = await service.generateText({ checkpoint: detail.checkpoints[0]!.hash, prompt: 'Where was Ada born?', question: true, maxTokens: 5 });
    expect(answer.checkpoint.hash).toBe(detail.checkpoints[0]!.hash);
    expect(answer.tokens).toBeLessThanOrEqual(5);
  });

  it('refuses bad configs and a model too large for memory, recording nothing', async () => {
    const before = await service.listRuns();
    await expect(service.startLanguageModelTraining({ ...small, model: 'transformer-huge' as never })).rejects.toThrow(/model must be one of transformer-tiny/);
    await expect(service.startLanguageModelTraining({ ...small, warmupFraction: 1 })).rejects.toThrow(InvalidRequestError);
    const tooLarge = await service.startLanguageModelTraining({ model: 'transformer-large', people: 200, batchSize: 4096 });
    await expect(service.waitForRun(tooLarge.id)).rejects.toThrow(/transformer too large to train: 9\.0 M parameters with batch 4096/);
    expect(await service.listRuns()).toEqual(before);
    expect(fs.readdirSync(path.join(dataDir, 'checkpoints')).filter((f) => !f.startsWith('.'))).toHaveLength(2);
  });
});
