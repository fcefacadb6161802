"""Builds tests/assets/tiny_tokenizer/: a 512-token byte-level BPE for tiny test models.

Run once by hand (`python tests/assets/make_tiny_tokenizer.py`); the output is committed.
Trained on botsmith's own sample story, with ChatML markers as special tokens and
a ChatML chat template, like the default model's.
"""

from pathlib import Path

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import PreTrainedTokenizerFast

from botsmith.chat_format import CHATML_JINJA
from botsmith.demo.corpus import sample_story_text

OUT = Path(__file__).parent / "tiny_tokenizer"

tokenizer = Tokenizer(models.BPE())
tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
tokenizer.decoder = decoders.ByteLevel()
trainer = trainers.BpeTrainer(
    vocab_size=512,
    special_tokens=["<|endoftext|>", "<|im_start|>", "<|im_end|>"],
    initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
)
tokenizer.train_from_iterator([sample_story_text()], trainer)
fast = PreTrainedTokenizerFast(
    tokenizer_object=tokenizer, bos_token="<|im_start|>", eos_token="<|im_end|>",
    unk_token="<|endoftext|>", pad_token="<|im_end|>",
)
fast.chat_template = CHATML_JINJA
fast.save_pretrained(OUT)
print(f"wrote {OUT} ({len(fast)} tokens)")
