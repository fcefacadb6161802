"""`botsmith demo`: the whole path once, on the built-in story and the default model."""
