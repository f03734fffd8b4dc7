import { dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LM_EVAL_FIXTURE_DIR } from '../../../fixtures/make-lm-eval.js';
import { AppService } from '../../../server/app/app-service.js';
import { findDataSets } from '../../../server/app/data-sets.js';

const FIXTURES = dirname(LM_EVAL_FIXTURE_DIR);

describe('the data sets the app offers', () => {
  it('lists lm-eval output folders beside shared-format ones and loads them with the prices.json beside them', async () => {
    const sets = await findDataSets([FIXTURES], null);
    expect(sets.map((s) => [s.id, s.kind])).toEqual([['lm-eval:lm-eval', 'lm-eval-folder'], ['shared:simulated', 'shared-folder']]);
    const service = await AppService.create({ simulatedDir: null, dataDirs: [FIXTURES], initialDataSet: null });
    const info = await service.loadWorkspace({ kind: 'dataset', id: 'lm-eval:lm-eval' });
    expect(info.queries).toBe(70);
    expect(info.tasks).toEqual(expect.arrayContaining([{ task: 'gsm8k', queries: 40 }, { task: 'arc_easy', queries: 30 }]));
    // The alias in prices.json names the local-path model; its price makes the default usd metric work.
    expect(info.models.map((m) => m.model).sort()).toEqual(['Qwen/Qwen2.5-7B-Instruct', 'gpt-4o-mini', 'llama-3.2-1b-local']);
    expect(info.costUnit).toBe('USD');
    expect(info.tokensApproximate).toBe(true);
  }, 60_000);
});
