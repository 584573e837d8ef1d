// A 512 x 2048 x 768 f32 product (C += A * B, B stored [K, N]) and the
// transform-dialect schedule that makes it a generated kernel: columns in 8
// blocks of 256 on the runtime's threads (scf.forall, then
// loom-outline-parallel-loops), cache tiles of 32 x 256 x 256, and 8 x 32
// register tiles updated by outer products 4 steps of K at a time.
// run.sh lowers and times it; see bench/README.md.

func.func @gemm(%A: memref<512x768xf32>, %B: memref<768x2048xf32>,
                %C: memref<512x2048xf32>) attributes {llvm.emit_c_interface} {
  linalg.matmul ins(%A, %B : memref<512x768xf32>, memref<768x2048xf32>)
                outs(%C : memref<512x2048xf32>)
  return
}

module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(
      %root: !transform.any_op {transform.readonly}) {
    %mm = transform.structured.match ops{["linalg.matmul"]} in %root
      : (!transform.any_op) -> !transform.any_op
    %blocks, %forall = transform.structured.tile_using_forall %mm
        tile_sizes [0, 256] : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
    %cache, %l1:3 = transform.structured.tile_using_for %blocks
        tile_sizes [32, 256, 256]
      : (!transform.any_op) -> (!transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op)
    %registers, %l2:3 = transform.structured.tile_using_for %cache
        tile_sizes [8, 32, 4]
      : (!transform.any_op) -> (!transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op)
    transform.structured.vectorize %registers : !transform.any_op
    %f = transform.structured.match ops{["func.func"]} in %root
      : (!transform.any_op) -> !transform.any_op
    transform.apply_patterns to %f {
      transform.apply_patterns.vector.reduction_to_contract
      transform.apply_patterns.vector.transfer_permutation_patterns
    } : !transform.any_op
    transform.apply_patterns to %f {
      transform.apply_patterns.canonicalization
      transform.apply_patterns.memref.fold_memref_alias_ops
    } : !transform.any_op
    transform.apply_cse to %f : !transform.any_op
    %loops = transform.structured.match interface{LoopLikeInterface} in %root
      : (!transform.any_op) -> !transform.any_op
    transform.apply_licm to %loops : !transform.any_op
    %f2 = transform.structured.hoist_redundant_vector_transfers %f
      : (!transform.any_op) -> !transform.any_op
    transform.apply_patterns to %f2 {
      transform.apply_patterns.vector.lower_contraction lowering_strategy = "outerproduct"
    } : !transform.any_op
    transform.apply_patterns to %f2 {
      transform.apply_patterns.vector.lower_outerproduct
    } : !transform.any_op
    transform.apply_patterns to %f2 {
      transform.apply_patterns.vector.transfer_permutation_patterns
      transform.apply_patterns.vector.lower_transfer max_transfer_rank = 1
    } : !transform.any_op
    transform.yield
  }
}
