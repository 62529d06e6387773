// The MIA attack's SVM (src/main/engine/evaluation/svm.ts) in C++: the same float64
// operations in the same order, so its results are bit for bit those of the TypeScript.
#pragma once

#include <node_api.h>

// svmSolve(features, y, bounds, dims, gamma, tolerance, maxIterations, maxRows, alphaOut, cancel) -> rho
napi_value SvmSolve(napi_env env, napi_callback_info info);
// svmDecisions(vectors, weights, dims, gamma, rho, queries, out)
napi_value SvmDecisions(napi_env env, napi_callback_info info);
// v8Exp(x, out): V8's Math.exp, elementwise (for the tests)
napi_value V8Exp(napi_env env, napi_callback_info info);
