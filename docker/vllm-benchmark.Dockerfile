# vbench as the seed's benchmark container:
#   docker build -f docker/vllm-benchmark.Dockerfile -t vllm-benchmark:latest .
#   docker run --rm --network host -e MODEL_ENDPOINT=http://localhost:8080 \
#     -v $(pwd)/results:/app/results -v $(pwd)/parsed:/app/parsed vllm-benchmark:latest
# Every seed variable (MODEL_ENDPOINT, CONFIG_PATH, OUTPUT_DIR, PARSED_DIR,
# REQUEST_RATE, MODEL_NAME, SERVED_MODEL_NAME, TOKENIZER, CONCURRENCY_LEVELS,
# DURATION) is read by `vbench run` itself, so no entrypoint script is needed.
# Arguments after the image name are passed to `vbench run` (e.g. --export json,clickhouse).

# Build stage: Bun comes from npm (package-lock.json pins it), so `npm ci` gives the same toolchain as development.
FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json bunfig.toml ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json build.ts ./
COPY src ./src
COPY plugins ./plugins
RUN npx bun build.ts

# Runtime: the self-contained binary (runtime included) on a slim glibc base, nothing else.
FROM debian:bookworm-slim
COPY --from=build /src/dist/vbench /usr/local/bin/vbench
# The default scenario file; mount another over it or point CONFIG_PATH elsewhere.
COPY configs/vllm_benchmark.json /app/configs/vllm_benchmark.json
WORKDIR /app
ENV OUTPUT_DIR=/app/results \
    PARSED_DIR=/app/parsed \
    CONFIG_PATH=/app/configs/vllm_benchmark.json
ENTRYPOINT ["/usr/local/bin/vbench", "run"]
