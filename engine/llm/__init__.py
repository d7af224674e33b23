"""The language model's side: prompts, answer parsing, rewards, models, warm-up targets."""
