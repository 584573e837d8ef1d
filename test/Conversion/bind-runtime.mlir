// RUN: loom-opt %s --loom-add-last-row-entry --loom-bind-runtime --split-input-file | FileCheck %s -DABI=%loom_abi

// A decoder with one attention before a weight-shared loop of one attention:
// 1 + 3 * 1 KV cache slots, 4 floats a position each; the loop's slot
// depends on its iteration. The caches are flat: slot s is [max_seq, 4]
// floats at max_seq * 4 * s.

loom.param @emb : tensor<50x8xf32>
loom.param @pos : tensor<16x8xf32>
loom.param @wq : tensor<8x8xf32>
loom.param @wkv : tensor<4x8xf32>
loom.param @head : tensor<50x8xf32>

// The model context comes first; parameters are read from its weight table
// (field 0), one pointer each, in declaration order.
// CHECK-LABEL: func.func @forward(
// CHECK-SAME: %[[CTX:.*]]: !llvm.ptr {loom.context}, %[[TOKENS:.*]]: memref<?xi32>, %[[POS:.*]]: index, %[[KC:.*]]: memref<?xf32>, %[[VC:.*]]: memref<?xf32>, %[[OUT:.*]]: memref<?x50xf32>)
// CHECK-SAME: llvm.emit_c_interface
// CHECK: %[[FIELD:.*]] = llvm.getelementptr %[[CTX]][0, 0] : (!llvm.ptr) -> !llvm.ptr, !llvm.struct<(ptr, ptr, ptr)>
// CHECK: %[[TABLE:.*]] = llvm.load %[[FIELD]] : !llvm.ptr -> !llvm.ptr
// CHECK: llvm.getelementptr %[[TABLE]][0] : (!llvm.ptr) -> !llvm.ptr, !llvm.ptr
// CHECK: llvm.getelementptr %[[TABLE]][4] : (!llvm.ptr) -> !llvm.ptr, !llvm.ptr
// CHECK: bufferization.to_tensor %[[TOKENS]] restrict
// CHECK: loom.position_embedding %{{.*}}, %{{.*}} offset %[[POS]]
// First attention: its projections, then its core on slot 0, a one-slot view
// of each cache.
// CHECK: loom.linear
// CHECK: %[[START:.*]] = arith.addi %{{.*}}, %{{.*}} : index
// CHECK: %[[LENGTH:.*]] = memref.dim %[[KC]], %{{.*}} : memref<?xf32>
// CHECK: %[[MAXSEQ:.*]] = arith.divui %[[LENGTH]], %{{.*}} : index
// CHECK: %[[OFFSET:.*]] = arith.muli %[[START]], %[[MAXSEQ]] : index
// CHECK: %[[KS:.*]] = memref.reinterpret_cast %[[KC]] to offset: [%[[OFFSET]]], sizes: [1, %[[MAXSEQ]], 4], strides: [%{{.*}}, 4, 1] : memref<?xf32> to memref<1x?x4xf32, strided<[?, 4, 1], offset: ?>>
// CHECK: %[[VS:.*]] = memref.reinterpret_cast %[[VC]]
// CHECK: loom.rope %{{.*}}, %[[POS]] head_dim = 4
// Every slot is 4 values wide, so every cache row starts at a multiple of 4.
// CHECK: loom.cached_attention %{{.*}}, %[[KS]], %[[VS]], %[[POS]], %{{.*}} heads = 2 kv_heads = 1 head_dim = 4 causal row_alignment = 4 :
// The loop: slot 1 + i.
// CHECK: loom.loop 3 times(%[[I:[a-z0-9]+]])
// CHECK: arith.muli %[[I]], %{{.*}} : index
// CHECK: loom.cached_attention {{.*}} heads = 2 kv_heads = 1 head_dim = 4 causal
// CHECK: bufferization.materialize_in_destination %{{.*}} in restrict writable %[[OUT]]
// CHECK-NEXT: return
// Decoders also get an entry that runs the LM head on the last row only.
// CHECK-LABEL: func.func @forward_last(
// CHECK: loom.loop 3
// CHECK: %[[ROW:.*]] = tensor.extract_slice %{{.*}}[%{{.*}}, 0] [1, 8] [1, 1] : tensor<?x8xf32> to tensor<1x8xf32>
// CHECK-NEXT: loom.linear %[[ROW]], %{{.*}} : (tensor<1x8xf32>, tensor<50x8xf32>) -> tensor<1x50xf32>
// CHECK: llvm.mlir.global external constant @loom.model_info
// CHECK-SAME: \22abi\22:[[ABI]]
// CHECK-SAME: \22decoder\22:true,\22derived\22:[]
// CHECK-SAME: \22kv_slots\22:4,\22kv_widths\22:[4,4,4,4]
// CHECK-SAME: \22max_positions\22:16
// CHECK-SAME: \22output_width\22:50
// The token embedding table is read by rows (through the runtime's
// embedding kernel), the position table otherwise; projections only as
// matrices (the runtime may keep those in its packed layout alone).
// CHECK-SAME: \22matrix\22:false,\22name\22:\22emb\22,\22other_uses\22:false,\22prepare_only\22:false,\22rows\22:true,\22shape\22:[50,8]
// CHECK-SAME: \22matrix\22:false,\22name\22:\22pos\22,\22other_uses\22:true,\22prepare_only\22:false,\22rows\22:false,\22shape\22:[16,8]
// CHECK-SAME: \22matrix\22:true,\22name\22:\22wq\22,\22other_uses\22:false,\22prepare_only\22:false,\22rows\22:false,\22shape\22:[8,8]
// CHECK-SAME: \22vocab\22:50
// No global state: the weights come only through the context.
// CHECK-NOT: llvm.mlir.global
func.func @forward(%ids: tensor<?xi32>) -> tensor<?x50xf32> {
  %emb = loom.weight @emb : tensor<50x8xf32>
  %pos = loom.weight @pos : tensor<16x8xf32>
  %wq = loom.weight @wq : tensor<8x8xf32>
  %wkv = loom.weight @wkv : tensor<4x8xf32>
  %head = loom.weight @head : tensor<50x8xf32>
  %e = loom.embedding %ids, %emb : (tensor<?xi32>, tensor<50x8xf32>) -> tensor<?x8xf32>
  %p = loom.position_embedding %ids, %pos : (tensor<?xi32>, tensor<16x8xf32>) -> tensor<?x8xf32>
  %x = loom.add %e, %p : tensor<?x8xf32>, tensor<?x8xf32>
  %a = loom.attention %x, %wq, %wkv, %wkv, %wq heads = 2 kv_heads = 1 head_dim = 4 causal rope_theta = 1.0e+04 : (tensor<?x8xf32>, tensor<8x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  %r = loom.loop 3 times(%i) iter_args(%h = %a) : tensor<?x8xf32> {
    %b = loom.attention %h, %wq, %wkv, %wkv, %wq heads = 2 kv_heads = 1 head_dim = 4 causal : (tensor<?x8xf32>, tensor<8x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
    loom.yield %b : tensor<?x8xf32>
  }
  %y = loom.linear %r, %head : (tensor<?x8xf32>, tensor<50x8xf32>) -> tensor<?x50xf32>
  return %y : tensor<?x50xf32>
}

// -----

// An encoder: no causal attention, hence no decoding.

loom.param @w : tensor<8x8xf32>

// CHECK-LABEL: func.func @forward(
// CHECK-SAME: memref<?xf32>
// CHECK: loom.cached_attention
// CHECK-NOT: causal
// CHECK-NOT: @forward_last
// CHECK: \22decoder\22:false
func.func @forward(%ids: tensor<?xi32>) -> tensor<?x8xf32> {
  %w = loom.weight @w : tensor<8x8xf32>
  %e = loom.embedding_row %w[0] : tensor<8x8xf32> -> tensor<8xf32>
  %x = loom.position_embedding %ids, %w : (tensor<?xi32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  %a = loom.attention %x, %w, %w, %w, %w heads = 2 kv_heads = 2 head_dim = 4 : (tensor<?x8xf32>, tensor<8x8xf32>, tensor<8x8xf32>, tensor<8x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  return %a : tensor<?x8xf32>
}

// -----

// Blocks stay functions: each takes the position, the caches, where its
// first slot starts (in floats a position), where its first running state
// starts (in floats) and the model context; a stack of two calls uses slots
// 0 and 1.

loom.param @w : tensor<8x8xf32>

// CHECK-LABEL: func.func private @block
// CHECK-SAME: %{{.*}}: tensor<?x8xf32>, %{{.*}}: tensor<8x8xf32>, %[[POS:.*]]: index, %[[KC:.*]]: memref<?xf32>, %[[VC:.*]]: memref<?xf32>, %[[BASE:.*]]: index, %{{.*}}: index, %{{.*}}: !llvm.ptr {loom.context})
// CHECK: %[[START:.*]] = arith.addi %[[BASE]], %{{.*}} : index
// CHECK: %[[OFFSET:.*]] = arith.muli %[[START]], %{{.*}} : index
// CHECK: %[[KS:.*]] = memref.reinterpret_cast %[[KC]] to offset: [%[[OFFSET]]]
// CHECK: loom.cached_attention {{.*}}, %[[KS]], %{{.*}}, %[[POS]]
func.func private @block(%x: tensor<?x8xf32>, %w: tensor<8x8xf32>) -> tensor<?x8xf32> {
  %a = loom.attention %x, %w, %w, %w, %w heads = 2 kv_heads = 2 head_dim = 4 causal : (tensor<?x8xf32>, tensor<8x8xf32>, tensor<8x8xf32>, tensor<8x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  return %a : tensor<?x8xf32>
}

// CHECK-LABEL: func.func @forward(
// CHECK-SAME: %[[CTX:.*]]: !llvm.ptr {loom.context}
// CHECK: %[[C0:.*]] = arith.constant 0 : index
// CHECK: %[[S0:.*]] = arith.addi %[[C0]], %{{.*}} : index
// CHECK: call @block(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[S0]], %{{.*}}, %[[CTX]])
// CHECK: %[[S1:.*]] = arith.addi %[[C0]], %{{.*}} : index
// CHECK: call @block(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[S1]], %{{.*}}, %[[CTX]])
// CHECK: \22kv_slots\22:2,\22kv_widths\22:[8,8]
func.func @forward(%ids: tensor<?xi32>) -> tensor<?x8xf32> {
  %w = loom.weight @w : tensor<8x8xf32>
  %x = loom.embedding %ids, %w : (tensor<?xi32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  %y = func.call @block(%x, %w) : (tensor<?x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  %z = func.call @block(%y, %w) : (tensor<?x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  return %z : tensor<?x8xf32>
}

// -----

// Derived params are computed by @prepare, one per call (the runtime calls
// it with each index in turn), each after those it reads (@ab reads
// @scaled, declared after it), into their entries of the weight table, which
// follow the checkpoint params'. The description lists what each reads.

loom.param @a : tensor<8x8xf32>
loom.param @ab : tensor<16x8xf32> init {
  %a = loom.weight @a : tensor<8x8xf32>
  %s = loom.weight @scaled : tensor<8x8xf32>
  %c = loom.concat %a, %s axis = 0 : (tensor<8x8xf32>, tensor<8x8xf32>) -> tensor<16x8xf32>
  loom.yield %c : tensor<16x8xf32>
}
loom.param @scaled : tensor<8x8xf32> init {
  %a = loom.weight @a : tensor<8x8xf32>
  %t = loom.transpose %a : tensor<8x8xf32> -> tensor<8x8xf32>
  loom.yield %t : tensor<8x8xf32>
}

// CHECK-LABEL: func.func @prepare(
// CHECK-SAME:    %[[CTX:.*]]: !llvm.ptr {loom.context}, %[[INDEX:.*]]: index) attributes {llvm.emit_c_interface}
// CHECK:         %[[TABLE:.*]] = llvm.load
// CHECK:         scf.index_switch %[[INDEX]]
// CHECK:         case 0 {
// CHECK:           llvm.getelementptr %[[TABLE]][0]
// CHECK:           %[[T:.*]] = loom.transpose
// CHECK:           llvm.getelementptr %[[TABLE]][1]
// CHECK:           bufferization.materialize_in_destination %[[T]] in restrict writable
// CHECK:         case 1 {
// CHECK:           llvm.getelementptr %[[TABLE]][0]
// CHECK:           llvm.getelementptr %[[TABLE]][1]
// CHECK:           %[[C:.*]] = loom.concat
// CHECK:           llvm.getelementptr %[[TABLE]][2]
// CHECK:           bufferization.materialize_in_destination %[[C]] in restrict writable
// CHECK:         default {
// CHECK:         return
// CHECK-LABEL: func.func @forward(
// CHECK:         llvm.getelementptr %{{.*}}[2]
// CHECK:         \22derived\22:[{{.*}}\22name\22:\22scaled\22,{{.*}}\22sources\22:[0]{{.*}}\22name\22:\22ab\22,{{.*}}\22sources\22:[0,1]
// CHECK-SAME:    \22name\22:\22a\22,\22other_uses\22:false,\22prepare_only\22:true
func.func @forward(%ids: tensor<?xi32>) -> tensor<?x8xf32> {
  %w = loom.weight @ab : tensor<16x8xf32>
  %x = loom.embedding %ids, %w : (tensor<?xi32>, tensor<16x8xf32>) -> tensor<?x8xf32>
  return %x : tensor<?x8xf32>
}

// -----

// A quantized weight is a derived param of i8 bytes: its table entry holds
// the format's bytes ([16, 68] for a [16, 64] q8_0 matrix), and the
// description gives its format as the dtype and its shape in weights.

loom.param @w : tensor<16x64xf32>
loom.param @w.q8_0 : tensor<16x68xi8> init {
  %w = loom.weight @w : tensor<16x64xf32>
  %q = loom.quantize %w format q8_0 : tensor<16x64xf32> -> tensor<16x68xi8>
  loom.yield %q : tensor<16x68xi8>
}
loom.param @emb : tensor<10x64xf32>

// CHECK-LABEL: func.func @prepare(
// CHECK:         case 0 {
// CHECK:           %[[Q:.*]] = loom.quantize %{{.*}} format q8_0
// CHECK:           %[[DEST:.*]] = builtin.unrealized_conversion_cast %{{.*}} : !llvm.struct<{{.*}}> to memref<16x68xi8>
// CHECK:           bufferization.materialize_in_destination %[[Q]] in restrict writable %[[DEST]]
// CHECK-LABEL: func.func @forward(
// CHECK:         %[[BYTES:.*]] = builtin.unrealized_conversion_cast %{{.*}} : !llvm.struct<{{.*}}> to memref<16x68xi8>
// CHECK:         %[[T:.*]] = bufferization.to_tensor %[[BYTES]] restrict : memref<16x68xi8> to tensor<16x68xi8>
// CHECK:         loom.linear %{{.*}}, %[[T]] format q8_0
// CHECK:         \22derived\22:[{\22dtype\22:\22Q8_0\22,\22matrix\22:false,\22name\22:\22w.q8_0\22,{{.*}}\22shape\22:[16,64],\22sources\22:[0]
// CHECK-SAME:    {\22dtype\22:\22F32\22,\22matrix\22:false,\22name\22:\22w\22,\22other_uses\22:false,\22prepare_only\22:true
func.func @forward(%ids: tensor<?xi32>) -> tensor<?x16xf32> {
  %e = loom.weight @emb : tensor<10x64xf32>
  %x = loom.embedding %ids, %e : (tensor<?xi32>, tensor<10x64xf32>) -> tensor<?x64xf32>
  %q = loom.weight @w.q8_0 : tensor<16x68xi8>
  %y = loom.linear %x, %q format q8_0 : (tensor<?x64xf32>, tensor<16x68xi8>) -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}

// -----

// Layers may cache rows of different widths (pruned heads, say): slots are
// laid out one after another, each as wide as its layer's keys. Here 8, then
// 4 floats a position: the second slot starts at 8 * max_seq.

loom.param @w : tensor<8x8xf32>
loom.param @kv : tensor<4x8xf32>
// CHECK-LABEL: func.func @forward(
// CHECK:         %[[BASE:.*]] = arith.constant 0 : index
// CHECK:         %[[C12:.*]] = arith.constant 12 : index
// CHECK:         memref.reinterpret_cast %{{.*}} to offset: [%{{.*}}], sizes: [1, %{{.*}}, 8], strides: [%{{.*}}, 8, 1]
// CHECK:         %[[C8:.*]] = arith.constant 8 : index
// CHECK:         %[[S1:.*]] = arith.addi %[[BASE]], %[[C8]] : index
// CHECK:         %[[LENGTH:.*]] = memref.dim
// CHECK:         %[[MAXSEQ:.*]] = arith.divui %[[LENGTH]], %{{.*}} : index
// CHECK:         %[[O1:.*]] = arith.muli %[[S1]], %[[MAXSEQ]] : index
// CHECK:         memref.reinterpret_cast %{{.*}} to offset: [%[[O1]]], sizes: [1, %{{.*}}, 4], strides: [%{{.*}}, 4, 1]
// CHECK:         \22kv_slots\22:2,\22kv_widths\22:[8,4]
func.func @forward(%ids: tensor<?xi32>) -> tensor<?x8xf32> {
  %w = loom.weight @w : tensor<8x8xf32>
  %kv = loom.weight @kv : tensor<4x8xf32>
  %x = loom.embedding %ids, %w : (tensor<?xi32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  %a = loom.attention %x, %w, %w, %w, %w heads = 2 kv_heads = 2 head_dim = 4 causal : (tensor<?x8xf32>, tensor<8x8xf32>, tensor<8x8xf32>, tensor<8x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  %b = loom.attention %a, %w, %kv, %kv, %w heads = 2 kv_heads = 1 head_dim = 4 causal : (tensor<?x8xf32>, tensor<8x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  return %b : tensor<?x8xf32>
}

// -----

// Running states: each cumulative sum and linear attention gets floats of
// the flat state buffer (context field 2), as a view of its shape; a block
// called twice gets two ranges (through its state base), and a loop one per
// iteration. Positions read the first token's position. The model is a
// decoder, and the description counts the state's floats: block 2 x (4 + 2
// x 2 x 3) + loop 3 x 8 = 56.

loom.param @w : tensor<8x8xf32>

// CHECK-LABEL: func.func private @mix
// CHECK-SAME: %[[POS:[a-z0-9]+]]: index, %{{.*}}: memref<?xf32>, %{{.*}}: memref<?xf32>, %{{.*}}: index, %[[SBASE:[a-z0-9]+]]: index, %[[CTX:[a-z0-9]+]]: !llvm.ptr {loom.context})
// CHECK: %[[FIELD:.*]] = llvm.getelementptr %[[CTX]][0, 2] : (!llvm.ptr) -> !llvm.ptr, !llvm.struct<(ptr, ptr, ptr)>
// CHECK: %[[PTR:.*]] = llvm.load %[[FIELD]] : !llvm.ptr -> !llvm.ptr
// CHECK: %[[STATES:.*]] = builtin.unrealized_conversion_cast %{{.*}} : !llvm.struct<{{.*}}> to memref<56xf32>
// CHECK: loom.positions %{{.*}} offset %[[POS]]
// CHECK: %[[O1:.*]] = arith.addi %[[SBASE]], %{{.*}} : index
// CHECK: %[[V1:.*]] = memref.reinterpret_cast %[[STATES]] to offset: [%[[O1]]], sizes: [4], strides: [1] : memref<56xf32> to memref<4xf32, strided<[1], offset: ?>>
// CHECK: loom.cumsum %{{.*}} state %[[V1]] at %[[POS]]
// CHECK: %[[O2:.*]] = arith.addi %[[SBASE]], %{{.*}} : index
// CHECK: %[[V2:.*]] = memref.reinterpret_cast %[[STATES]] to offset: [%[[O2]]], sizes: [2, 2, 3], strides: [6, 3, 1] : memref<56xf32> to memref<2x2x3xf32, strided<[6, 3, 1], offset: ?>>
// CHECK: loom.linear_attend %{{.*}}, %{{.*}}, %{{.*}} state %[[V2]] at %[[POS]] heads = 2 kv_heads = 2 head_dim = 2
func.func private @mix(%x: tensor<?x4xf32>, %v: tensor<?x6xf32>) -> tensor<?x6xf32> {
  %p = loom.positions %x : tensor<?x4xf32> -> tensor<?x1xf32>
  %y = loom.mul %x, %p : tensor<?x4xf32>, tensor<?x1xf32>
  %c = loom.cumsum %y : (tensor<?x4xf32>) -> tensor<?x4xf32>
  %a = loom.linear_attend %c, %c, %v heads = 2 kv_heads = 2 head_dim = 2 : (tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x6xf32>) -> tensor<?x6xf32>
  return %a : tensor<?x6xf32>
}

// CHECK-LABEL: func.func @forward(
// CHECK: %[[C0:.*]] = arith.constant 0 : index
// CHECK: call @mix(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}})
// CHECK: call @mix(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}})
// CHECK: loom.loop 3 times(%[[I:[a-z0-9]+]])
// CHECK: %[[STEP:.*]] = arith.muli %[[I]], %{{.*}} : index
// CHECK: loom.cumsum %{{.*}} state %{{.*}} at %{{.*}} : (tensor<?x8xf32>, memref<8xf32, strided<[1], offset: ?>>, index) -> tensor<?x8xf32>
// CHECK: \22decoder\22:true
// CHECK-SAME: \22state_floats\22:56
func.func @forward(%ids: tensor<?xi32>) -> tensor<?x8xf32> {
  %w = loom.weight @w : tensor<8x8xf32>
  %x = loom.embedding %ids, %w : (tensor<?xi32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  %a, %b = loom.split %x axis = 1 sizes = [4, 4] : tensor<?x8xf32> -> tensor<?x4xf32>, tensor<?x4xf32>
  %v = loom.concat %a, %a, %b axis = 1 : (tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x12xf32>
  %v6 = loom.slice %v axis = 1 offset = 0 size = 6 : tensor<?x12xf32> -> tensor<?x6xf32>
  %m1 = func.call @mix(%a, %v6) : (tensor<?x4xf32>, tensor<?x6xf32>) -> tensor<?x6xf32>
  %m2 = func.call @mix(%b, %m1) : (tensor<?x4xf32>, tensor<?x6xf32>) -> tensor<?x6xf32>
  %r = loom.loop 3 times(%i) iter_args(%h = %x) : tensor<?x8xf32> {
    %c = loom.cumsum %h : (tensor<?x8xf32>) -> tensor<?x8xf32>
    loom.yield %c : tensor<?x8xf32>
  }
  return %r : tensor<?x8xf32>
}
