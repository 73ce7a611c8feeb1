.PHONY: bench

# Side-by-side benchmark of ketorch against Keras 3 (jax, tensorflow, torch) and plain torch.
# Options go through ARGS, e.g. make bench ARGS="--only mlp,lstm --size small".
bench:
	bash bench/setup.sh && bench/.venv/bin/python bench/run.py $(ARGS)
