/** `lethe generate`: continues a prompt with a language-model checkpoint, to look inside it. */
import type { GenerateRequestInput } from '../../shared/generate.js';
import { defineCommand, numberOption, UsageError, withService, type OptionSpecs, type Output, type Values } from './command.js';

const HELP = `Usage: lethe generate CHECKPOINT PROMPT [options]

Continues PROMPT with a language-model checkpoint (a folder, or a hash or unique
hash prefix under <data-dir>/checkpoints) and prints what the model adds. The
checkpoint's own tokenizer encodes the prompt; characters outside its vocabulary
go in as their UTF-8 bytes. Records nothing in the catalog.

Options:
  --question        ask PROMPT as a facts question ("Question: PROMPT\\nAnswer:")
  --max-tokens N    stop after N tokens, unless the model ends first (default 48)
  --temperature X   0 = greedy (default); otherwise sample from softmax(logits / X)
  --seed N          sampling seed: one seed, one continuation (default 0)

Example:
  lethe generate 3f2a9c "Where was Ada Novak born?" --question`;

const OPTIONS = {
  question: { type: 'boolean' },
  'max-tokens': { type: 'string' },
  temperature: { type: 'string' },
  seed: { type: 'string' },
} satisfies OptionSpecs;

type GenerateValues = Values<typeof OPTIONS>;

async function handle(values: GenerateValues, io: Output, [checkpoint, prompt]: string[]): Promise<number> {
  if (checkpoint === undefined || prompt === undefined) throw new UsageError('give a checkpoint and a prompt: lethe generate CHECKPOINT PROMPT (see --help)');
  const input: GenerateRequestInput = {
    checkpoint,
    prompt,
    question: values.question === true,
    maxTokens: numberOption(values, 'max-tokens'),
    temperature: numberOption(values, 'temperature'),
    seed: numberOption(values, 'seed'),
  };
  return withService(values, async (service) => {
    const outcome = await service.generateText(input);
    if (values.json) io.out(JSON.stringify(outcome, null, 2));
    else io.out(outcome.text);
    return 0;
  });
}

export const generateCommand = defineCommand({
  name: 'generate',
  summary: 'continue a prompt with a language-model checkpoint',
  help: HELP,
  options: OPTIONS,
  positionals: 2,
  run: handle,
});
