"""The language model's side: prompts, answer parsing, rewards, models, device and precision,
batched generation, validation agreement, warm-up targets."""
