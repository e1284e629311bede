// The `swift sft` command of the model card (full SFT of Qwen3-4B-Instruct-2507 with the
// `qwen3_nothinking` template, bf16, 1 epoch, lr 2e-5, warmup 0.03, batch 2 x grad-accum 4
// on 4 GPUs, max length 16,384, over-long rows deleted), written next to the data.
export interface SwiftCommandOptions {
  maxLength: number;
}

export function swiftSftScript(options: SwiftCommandOptions): string {
  return [
    '#!/bin/sh',
    '# Full SFT as the LocoOperator-4B model card: run from this folder (needs ms-swift and 4 GPUs).',
    '# The rows render to the model\'s dialect with the hermes agent template (loco distill checks',
    '# this byte for byte); the system prompt is in each row, so no --system is given.',
    'set -e',
    'CUDA_VISIBLE_DEVICES=${CUDA_VISIBLE_DEVICES:-0,1,2,3} NPROC_PER_NODE=${NPROC_PER_NODE:-4} \\',
    'swift sft \\',
    '  --model Qwen/Qwen3-4B-Instruct-2507 \\',
    '  --train_type full \\',
    '  --template qwen3_nothinking \\',
    '  --agent_template hermes \\',
    '  --dataset train.swift.jsonl \\',
    '  --val_dataset validation.swift.jsonl \\',
    '  --torch_dtype bfloat16 \\',
    '  --num_train_epochs 1 \\',
    '  --learning_rate 2e-5 \\',
    '  --warmup_ratio 0.03 \\',
    '  --per_device_train_batch_size 2 \\',
    '  --gradient_accumulation_steps 4 \\',
    `  --max_length ${options.maxLength} \\`,
    '  --truncation_strategy delete \\',
    '  --output_dir output',
    '',
  ].join('\n');
}
