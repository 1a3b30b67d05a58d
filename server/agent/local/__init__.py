"""The embedded local model (Qwen2.5-Coder GGUF via llama-cpp-python), served as a litellm provider."""
