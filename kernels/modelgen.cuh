// ModelGen CUDA templates: everything a generated model translation unit includes.
#pragma once
#include "common.cuh"
#include "gemm.cuh"
#include "elementwise.cuh"
#include "loss.cuh"
#include "norm.cuh"
#include "conv.cuh"
#include "conv1d.cuh"
#include "pool.cuh"
#include "embedding.cuh"
#include "attention.cuh"
#include "recurrent.cuh"
#include "optimizer.cuh"
