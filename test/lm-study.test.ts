import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { runCli } from '../src/main/cli.js';
import { LM_STUDY_METRICS, parseStudyConfig, type LmStudyTable, type StudyConfigInput } from '../src/shared/study-config.js';
import { cells, formatStudyTable, RELEARNING_NOTE } from '../src/shared/study-format.js';
import { meanStd } from '../src/shared/study-statistics.js';
import { serviceForTests } from './helpers.js';

const { catalog, dataDir, service } = serviceForTests('lm-study');

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(args, { out: (t) => (out += t + '\n'), err: (t) => (err += t + '\n'), isTTY: false });
  return { code, out, err };
}

// A tiny language-model study: 20 people x 2 facts, forget05 = 1 person (2 pairs), two seeds.
const tiny: StudyConfigInput = {
  name: 'facts-tiny',
  dataset: 'facts',
  model: 'transformer-tiny',
  original: { people: 20, attributes: 2, generalSentences: 4, epochs: 2, batchSize: 16, lr: 1e-2, seed: 0 },
  forget: { split: 'forget05' },
  seeds: [1, 2],
  methods: [
    { label: 'GA', method: 'ga', steps: 3, batchSize: 2, lr: 5e-2 },
    { label: 'NPO', method: 'npo', steps: 2, batchSize: 2 },
  ],
};

describe('language-model studies', () => {
  it('runs the original, Retrain and every (method, seed) through the study runner, evaluated as TOFU does, and tabulates mean ± std', async () => {
    const outcome = await service.runStudy(tiny);
    // Original, Retrain and 2 methods x 2 seeds, each evaluated against Retrain.
    expect(outcome).toMatchObject({ study: 'facts-tiny', created: 12, skipped: 0, failed: [] });
    const runs = catalog.runs.list();
    expect(runs.filter((r) => r.kind === 'train').map((r) => [r.dataset, r.model])).toEqual([['facts', 'transformer-tiny']]);
    expect(runs.filter((r) => r.kind === 'retrain')).toHaveLength(1);
    expect(runs.filter((r) => r.kind === 'unlearn').map((r) => r.method).sort()).toEqual(['ga', 'ga', 'npo', 'npo']);
    expect(runs.filter((r) => r.kind === 'evaluate')).toHaveLength(6);

    const table = (await service.getStudyTable('facts-tiny')) as LmStudyTable;
    expect(table.kind).toBe('language-model');
    // Without the relearning attack in its evaluation, the study has no relearning columns.
    expect(table.columns).toEqual(LM_STUDY_METRICS.filter((m) => !m.startsWith('relearn_')));
    expect(table.forgetSet).toEqual({ id: 0, name: 'forget05', size: 2 });
    expect(table.rows.map((r) => [r.label, r.aggregator, r.repeats, r.planned])).toEqual([
      ['Original', null, 1, 1],
      ['Retrain', null, 1, 1],
      ['GA', null, 2, 2],
      ['NPO', 'upgrad', 2, 2],
    ]);
    // Retrain compared with itself: forget quality 1, no privacy leak.
    const retrain = table.rows[1]!.metrics!;
    expect(retrain.forget_quality.mean).toBe(1);
    expect(retrain.privacy_leak.mean).toBe(0);
    // Each cell is the mean and sample std of the row's evaluations as the catalog holds them.
    for (const row of table.rows.slice(2)) {
      for (const m of table.columns) {
        const values = row.runs.map((run) => catalog.runs.latestMetrics(run.evaluationId)[m]!);
        expect(values.every(Number.isFinite)).toBe(true);
        expect(row.metrics![m].mean).toBeCloseTo(meanStd(values).mean, 12);
        expect(row.metrics![m].std).toBeCloseTo(meanStd(values).std, 12);
      }
    }
    // Gradient ascent at a large rate makes the forget answers less likely than the original has them.
    expect(table.rows[2]!.metrics!.forget_probability.mean).toBeLessThan(table.rows[0]!.metrics!.forget_probability.mean);
    // Best forget quality and model utility are marked among the methods only.
    const bestQuality = Math.max(...table.rows.slice(2).map((r) => r.metrics!.forget_quality.mean));
    expect(table.rows.filter((r) => r.best.includes('forget_quality')).every((r) => r.role === 'method' && r.metrics!.forget_quality.mean === bestQuality)).toBe(true);

    const text = formatStudyTable(table, 'text');
    expect(text).toMatch(/^Study facts-tiny: transformer-tiny on facts, forget05, 2 question-answer pairs/);
    expect(text.split('\n')[1]).toMatch(/^Method +Forget quality +Model utility +Forget prob\. +Forget ROUGE +Retain prob\. +Retain ROUGE +Para\. prob\. +Para\. ROUGE +Privacy leak +Perplexity +RTE \(s\) +n$/);
    expect(text).toMatch(/^Retrain +1\.00 /m);
    expect(text).toMatch(/^NPO \[upgrad\] +\S+±\S+ /m);
    expect(formatStudyTable(table, 'csv').split('\n')[0]).toBe(
      ['label,role,method,aggregator,repeats,planned', ...table.columns.map((m) => `${m}_mean,${m}_std,${m}_gap`), 'rte_mean,rte_std,best'].join(','),
    );

    // The Pareto front is forget quality against model utility (both maximised, so negated).
    const pareto = await service.getStudyPareto({ study: 'facts-tiny', objectives: ['forget_quality', 'model_utility'] });
    expect(pareto.points).toHaveLength(4);
    for (const point of pareto.points) {
      const run = table.rows.flatMap((r) => r.runs).find((r) => r.runId === point.runId)!;
      expect(point.values).toEqual([-run.metrics.forget_quality.value, -run.metrics.model_utility.value]);
    }
    expect(pareto.points.some((p) => !p.dominated)).toBe(true);
    await expect(service.getStudyPareto({ study: 'facts-tiny', objectives: ['UA_gap', 'model_utility'] })).rejects.toThrow(/UA_gap is not an objective of a language-model study; choose from forget_quality, model_utility, RTE/);

    // Its report: the LM table's own columns and numbers, TOFU's front, its split and definitions; no MIA histograms.
    const html = (await service.exportStudyReport({ study: 'facts-tiny', format: 'html' })).content;
    expect(html).toContain('<th>Forget quality</th><th>Model utility</th>');
    for (const row of table.rows) expect(html).toContain(`>${cells(table, row, ' ± ')[0]!.text}</td>`);
    expect(html).toContain('forget05: 2 question-answer pairs');
    expect(html).toMatch(/<h3>Forget quality against Model utility<\/h3><figure id="pareto-forget_quality-model_utility">/);
    expect(html).toContain('<dt>Privacy leak</dt>');
    expect(html).toContain('Not available: the MIA histograms are of classifier studies');
    const csv = (await service.exportStudyReport({ study: 'facts-tiny', format: 'csv' })).content.trim().split('\n');
    expect(csv[0]).toContain(',forget_quality,forget_quality_gap,model_utility,');
    const gaRun = table.rows[2]!.runs[0]!;
    expect(csv.find((line) => line.startsWith(`${gaRun.runId},`))).toContain(`,${gaRun.metrics.forget_quality.value},${gaRun.metrics.forget_quality.gap},${gaRun.metrics.model_utility.value},`);

    // study show --best and --compare go by Avg. Gap: refused for this study (exit 2), naming it; the plain table is shown.
    for (const option of [['--best'], ['--compare', 'GA:NPO']]) {
      const shown = await cli(['study', 'show', 'facts-tiny', ...option, '--data-dir', dataDir]);
      expect(shown.code).toBe(2);
      expect(shown.err).toContain(`${option[0]}: study 'facts-tiny' is a language-model study; grid points and comparisons go by Avg. Gap`);
      expect(shown.out).toBe('');
    }
    expect((await cli(['study', 'show', 'facts-tiny', '--data-dir', dataDir])).out.trim()).toBe(formatStudyTable(table, 'text'));

    // Run again: everything is in the catalog already.
    expect(await service.runStudy(tiny)).toMatchObject({ created: 0, skipped: 12, failed: [] });
  }, 600_000);

  it('with relearn in its evaluation, every model is attacked; the relearning figures are metrics, columns of the table and defined in its report', async () => {
    // The same runs as facts-tiny (found in the catalog), evaluated again with the attack.
    const relearning: StudyConfigInput = { ...tiny, name: 'facts-tiny-relearn', evaluation: { relearn: { steps: 3, lr: 1e-2, batchSize: 1 } } };
    expect(await service.runStudy(relearning)).toMatchObject({ created: 6, skipped: 6, failed: [] });
    const table = (await service.getStudyTable('facts-tiny-relearn')) as LmStudyTable;
    expect(table.columns).toEqual([...LM_STUDY_METRICS]);
    expect(table.columns.slice(-3)).toEqual(['relearn_probability', 'relearn_rouge', 'relearn_recovered_probability']);
    for (const row of table.rows) {
      const evaluations = row.runs.map((run) => catalog.runs.latestMetrics(run.evaluationId));
      expect(evaluations).toHaveLength(row.role === 'method' ? 2 : 1);
      for (const m of evaluations) {
        // forget05 of 20 people: 1 person, 2 pairs; one fine-tuned on, one held back.
        expect([m.relearn_pairs, m.relearn_held_back_pairs]).toEqual([1, 1]);
        expect(m.relearn_recovered_probability).toBeCloseTo(m.relearn_probability! - m.relearn_probability_before!, 12);
        for (const key of ['relearn_exact_match_before', 'relearn_exact_match']) expect([0, 1]).toContain(m[key]);
        for (const key of ['relearn_rouge_before', 'relearn_rouge', 'relearn_probability_before', 'relearn_probability']) expect(m[key]).toSatisfy((v: number) => v >= 0 && v <= 1);
      }
      for (const m of ['relearn_probability', 'relearn_rouge', 'relearn_recovered_probability'] as const) {
        expect(row.metrics![m].mean).toBeCloseTo(meanStd(evaluations.map((e) => e[m]!)).mean, 12);
      }
    }
    // The attack's settings are the evaluation's params, its defaults filled in.
    const retrainEvaluation = table.rows[1]!.runs[0]!.evaluationId;
    expect((await service.getRun(retrainEvaluation)).params).toMatchObject({ 'relearn.steps': '3', 'relearn.lr': '0.01', 'relearn.batchSize': '1', 'relearn.fraction': '0.5', 'relearn.seed': '0' });
    // Nearest Retrain is best in the relearning columns.
    const retrainRecovered = table.rows[1]!.metrics!.relearn_recovered_probability.mean;
    const nearest = Math.min(...table.rows.slice(2).map((r) => Math.abs(r.metrics!.relearn_recovered_probability.mean - retrainRecovered)));
    expect(table.rows.filter((r) => r.best.includes('relearn_recovered_probability')).map((r) => Math.abs(r.metrics!.relearn_recovered_probability.mean - retrainRecovered))).toEqual([nearest]);

    const text = formatStudyTable(table, 'text');
    expect(text.split('\n')[1]).toMatch(/ Perplexity +Relearn prob\. +Relearn ROUGE +Recovered P +RTE \(s\) +n$/);
    expect(text).toContain(RELEARNING_NOTE);
    expect(formatStudyTable((await service.getStudyTable('facts-tiny')) as LmStudyTable, 'text')).not.toContain('Relearn');
    const html = (await service.exportStudyReport({ study: 'facts-tiny-relearn', format: 'html' })).content;
    expect(html).toContain('<th>Relearn prob.</th><th>Relearn ROUGE</th><th>Recovered P</th>');
    expect(html).toContain('<dt>Recovered P</dt>');
    expect((await service.exportStudyReport({ study: 'facts-tiny', format: 'html' })).content).not.toContain('<dt>Recovered P</dt>');
  }, 600_000);

  it('refuses bad relearning settings in a study file, naming the field, before recording anything', async () => {
    const before = catalog.runs.list().length;
    const refused = (relearn: unknown) => service.runStudy({ ...tiny, name: 'bad', evaluation: { relearn } } as StudyConfigInput);
    await expect(refused({ steps: 0 })).rejects.toThrow(/evaluation\.relearn\.steps: steps must be a positive integer/);
    await expect(refused({ fraction: 1.5 })).rejects.toThrow(/evaluation\.relearn\.fraction: fraction must be in \(0, 1\)/);
    await expect(refused({ lr: -1 })).rejects.toThrow(/evaluation\.relearn\.lr: lr must be positive/);
    await expect(refused({ step: 3 })).rejects.toThrow(/evaluation\.relearn\.step: unknown key; did you mean 'steps'\?/);
    expect(catalog.runs.list()).toHaveLength(before);
    expect(catalog.studies.byName('bad')).toBeUndefined();
  });

  it('refuses a language-model study with a classifier method, an unknown split or an image model before recording anything', async () => {
    const before = catalog.runs.list().length;
    await expect(service.runStudy({ ...tiny, name: 'bad', methods: [{ label: 'SCRUB', method: 'scrub' as 'ga' }] })).rejects.toThrow(/method must be one of ga, graddiff, npo, raul-unidist, raul-helddist, bld/);
    await expect(service.runStudy({ ...tiny, name: 'bad', forget: { split: 'forget50' as 'forget05' } })).rejects.toThrow(/forget\.split must be one of forget01, forget05, forget10/);
    await expect(service.runStudy({ ...tiny, name: 'bad', model: 'mlp' as 'transformer-tiny' })).rejects.toThrow(/a language-model study's model is one of transformer-tiny/);
    await expect(service.runStudy({ ...tiny, name: 'bad', methods: [{ label: 'NPO', method: 'npo', aggregator: 'upgrade' }] })).rejects.toThrow(/unknown aggregator 'upgrade'/);
    expect(catalog.runs.list()).toHaveLength(before);
    expect(catalog.studies.byName('bad')).toBeUndefined();
  });

  it('a grid over lr and steps makes one row per point, each run with its point\'s settings and evaluated', async () => {
    const gridded: StudyConfigInput = { ...tiny, name: 'facts-tiny-grid', seeds: [1], methods: [{ label: 'GA', method: 'ga', batchSize: 2, grid: { lr: [5e-2, 1e-2], steps: [2, 3] } }] };
    expect(await service.runStudy(gridded)).toMatchObject({ failed: [] });
    const table = (await service.getStudyTable('facts-tiny-grid')) as LmStudyTable;
    const points = [
      ['GA (lr 0.05, 2 steps)', 5e-2, 2],
      ['GA (lr 0.05, 3 steps)', 5e-2, 3],
      ['GA (lr 0.01, 2 steps)', 1e-2, 2],
      ['GA (lr 0.01, 3 steps)', 1e-2, 3],
    ] as const;
    expect(table.rows.slice(2).map((r) => [r.label, r.entry, r.repeats, r.planned])).toEqual(points.map(([label]) => [label, 'GA', 1, 1]));
    for (const [label, lr, steps] of points) {
      const run = await service.getRun(table.rows.find((r) => r.label === label)!.runs[0]!.runId);
      expect([run.method, run.params.lr, run.params.steps, run.params.batchSize]).toEqual(['ga', String(lr), String(steps), '2']);
      expect(run.metrics.loss_0!.map((m) => m.step)).toEqual(Array.from({ length: steps }, (_, i) => i + 1));
    }
    // A point is a row of the study file's entry: the same run as an entry with its settings.
    const plain = await service.runStudy({ ...gridded, name: 'facts-tiny-point', methods: [{ label: 'GA', method: 'ga', batchSize: 2, lr: 1e-2, steps: 3 }] });
    expect(plain).toMatchObject({ created: 0, failed: [] });
  }, 600_000);

  it('refuses a grid axis given twice or a classifier grid axis in a language-model entry', async () => {
    const refused = (grid: unknown, extra: Record<string, unknown> = {}) => service.runStudy({ ...tiny, name: 'bad', methods: [{ label: 'GA', method: 'ga', grid, ...extra }] } as StudyConfigInput);
    await expect(refused({ epochs: [1, 2] })).rejects.toThrow(/methods\.0\.grid\.epochs: unknown key; .*steps/);
    await expect(refused({ lr: [1e-3] }, { lr: 1e-2 })).rejects.toThrow(/methods\.0\.grid\.lr: give the learning rate either as lr or as a grid axis, not both/);
    await expect(refused({ steps: [2] }, { steps: 3 })).rejects.toThrow(/methods\.0\.grid\.steps: give steps either as steps or as a grid axis, not both/);
    await expect(refused({ steps: [0] })).rejects.toThrow(/methods\.0\.grid\.steps\.0: steps must be positive/);
    expect(catalog.studies.byName('bad')).toBeUndefined();
  });

  it("refuses a classifier study's comparisons and likelihood-ratio test in a language-model study, naming the field, instead of dropping them", async () => {
    const before = catalog.runs.list().length;
    const refused = (extra: Record<string, unknown>) => service.runStudy({ ...tiny, name: 'bad', ...extra } as StudyConfigInput);
    await expect(refused({ comparisons: [['GA', 'NPO']] })).rejects.toThrow(/invalid study config: not in a language-model study: comparisons are of Avg\. Gap/);
    await expect(refused({ lira: { k: 2, rows: ['GA'] } })).rejects.toThrow(/lira: not in a language-model study: the likelihood-ratio membership test is of classifier studies/);
    // The study builder's save goes through the same schema: the LM file is written as given, a classifier grid refused.
    const saved = await service.saveStudyFile(tiny);
    expect(YAML.parse(fs.readFileSync(saved.path, 'utf8'))).toEqual(tiny);
    const gridded = { ...tiny, name: 'gridded', methods: [{ label: 'GA', method: 'ga', grid: { epochs: [1, 2] } }] } as StudyConfigInput;
    await expect(service.saveStudyFile(gridded)).rejects.toThrow(/methods\.0\.grid\.epochs: unknown key/);
    expect(fs.existsSync(path.join(path.dirname(saved.path), 'gridded.yaml'))).toBe(false);
    expect(catalog.runs.list()).toHaveLength(before);
    expect(catalog.studies.byName('bad')).toBeUndefined();
  });

  it('the facts demo is a valid language-model study of GA, NPO, RAUL-UPGrad and BLD on forget05 over 2 seeds, with the relearning attack', () => {
    const demo = parseStudyConfig(YAML.parse(fs.readFileSync(path.join(__dirname, '..', 'studies', 'facts-demo.yaml'), 'utf8')));
    expect(demo).toMatchObject({ dataset: 'facts', forget: { split: 'forget05' }, seeds: [1, 2], evaluation: { relearn: { steps: 10 } } });
    const methods = demo.methods.map((m) => `${m.method}/${m.aggregator}`);
    for (const needed of ['ga/', 'npo/', 'raul-unidist/upgrad', 'bld/']) expect(methods.some((m) => m.startsWith(needed))).toBe(true);
  });
});
