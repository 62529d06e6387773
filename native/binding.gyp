{
  "targets": [
    {
      "target_name": "lethe_native",
      "sources": ["src/lethe_native.cc"],
      "dependencies": ["lethe_uncontracted"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-std=c++20", "-O3", "-fopenmp", "-fexceptions"],
      "ldflags": ["-fopenmp"],
      "libraries": ["-ldnnl"]
    },
    {
      "target_name": "lethe_uncontracted",
      "type": "static_library",
      "sources": ["src/svm.cc", "src/in-order-matmul.cc"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-std=c++20", "-O2", "-fPIC", "-fexceptions", "-ffp-contract=off", "-fno-fast-math", "-Wno-psabi"]
    }
  ]
}
