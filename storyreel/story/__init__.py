"""The story domain: story files, planning, prompts and the story pipeline."""
