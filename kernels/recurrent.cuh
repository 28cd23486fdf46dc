// ModelGen CUDA templates: LSTM and GRU layers (batch-first, one or two directions, every step or the last state).
//
// Forward runs in two launches: the input projection of every step at once (a GEMM per direction,
// x·W_ih + b_ih into the gate buffer), then the recurrence, one block per (sample, direction) walking
// the steps in order. Each step takes two barriers: the threads add h_{t−1}·W_hh + b_hh to the gate
// columns (one column each, so all gates·H columns keep threads busy, reading W_hh's rows coalesced),
// then the cell applies per hidden unit. Samples and directions are independent, so no step ever
// waits for another block. Backward walks the steps in reverse the same way: per unit the gates'
// gradients, then dh_{t−1} = dG·W_hhᵀ one warp per unit (coalesced along W_hh's row); the weight,
// bias and input gradients are then GEMMs and column sums over all steps at once.
//
// Formulas, gate order (LSTM i, f, g, o; GRU r, z, n) and the parameter layout are those of the CPU
// kernels (ModelGen.Cpu.LstmKernels / GruKernels, PyTorch's nn.LSTM / nn.GRU): per direction one block
// W_ih [In, G], W_hh [H, G], b_ih [G], b_hh [G] (G = gates·H, weights in×out), forward direction first.
//
// The layer's own buffers, each [Directions, batch, Steps, width] (a direction's part starts at
// direction·batch·Steps·width, so it is one contiguous GEMM operand):
//   gates     the gates after their nonlinearity (before that, the input projection), width G
//   cells     LSTM: c_t; GRU: h_{t−1}·W_hn + b_hn (n's recurrent part, needed for r's gradient), width H
//   previous  the state each step started from, h_{t−1} (zero at a direction's first step), width H:
//             the rows of dW_hh's product, and the recurrence's input
//   gate_grads, hidden_gate_grads (GRU)   the pre-activation gradients of every step, width G
//   state_grads  backward's running dh (and LSTM dc) per (direction, sample), width H (2H)
// Output: every step [batch, Steps, Directions·H] (the reverse direction in columns H…2H−1), or the
// final states [batch, Directions·H] (the reverse direction's after its last step, t = 0).
//
// Variable-length (right-padded) sequences pass `lengths` [batch] (null: every sample runs all Steps): sample n
// runs only the steps t < lengths[n], as PyTorch's pack_padded_sequence: the forward direction t = 0…len−1,
// the reverse one from t = len−1 down to 0, the final states after those last steps (0 for length 0). Padded
// steps output 0 and keep zero previous states and gate gradients, so the GEMMs over every step add nothing
// for them, and gradients arriving there are ignored.
#pragma once
#include "common.cuh"
#include "gemm.cuh"

namespace mg {

/// Geometry of one recurrent call site; Gates is 4 (LSTM) or 3 (GRU).
template <int Inputs, int Steps, int Hidden, int Directions, bool Sequences, int Gates>
struct RecurrentShape
{
    static constexpr int kInputs = Inputs;
    static constexpr int kSteps = Steps;
    static constexpr int kHidden = Hidden;
    static constexpr int kDirections = Directions;
    static constexpr bool kSequences = Sequences;
    /// Columns of the gate buffers: every gate's H units side by side.
    static constexpr int kGateWidth = Gates * Hidden;
    /// Parameters of one direction, and where its parts start within them.
    static constexpr long long kBlock = (long long)(Inputs + Hidden + 2) * Gates * Hidden;
    static constexpr long long kRecurrentWeights = (long long)Inputs * kGateWidth;
    static constexpr long long kInputBias = kRecurrentWeights + (long long)Hidden * kGateWidth;
    static constexpr long long kRecurrentBias = kInputBias + kGateWidth;
    /// Output columns per row, and output elements per sample.
    static constexpr int kOutputWidth = Directions * Hidden;
    static constexpr long long kOutputRow = Sequences ? (long long)Steps * kOutputWidth : kOutputWidth;
};

template <int Inputs, int Steps, int Hidden, int Directions, bool Sequences>
using LstmShape = RecurrentShape<Inputs, Steps, Hidden, Directions, Sequences, 4>;

template <int Inputs, int Steps, int Hidden, int Directions, bool Sequences>
using GruShape = RecurrentShape<Inputs, Steps, Hidden, Directions, Sequences, 3>;

namespace detail {

/// Steps sample n runs: its length, or every step without lengths.
template <class Shape>
__device__ __forceinline__ int steps_of(const int* __restrict__ lengths, long long sample)
{
    return lengths != nullptr ? lengths[sample] : Shape::kSteps;
}

/// Step t of the k-th processed of a sample of `length` steps: the forward direction walks t = 0…length−1,
/// the reverse one t = length−1…0.
__device__ __forceinline__ int step_time(int direction, int k, int length) { return direction == 0 ? k : length - 1 - k; }

/// Where one (direction, sample) part of a [Directions, batch, Steps, width] buffer starts.
template <class Shape>
__device__ __forceinline__ long long sequence_at(int direction, long long sample, int batch, int width)
{
    return ((long long)direction * batch + sample) * Shape::kSteps * width;
}

/// The output of step t (the k-th processed of `length`) of one sample and direction, or null when the output does not hold it.
template <class Shape, class Pointer>
__device__ __forceinline__ Pointer step_output(Pointer y, int direction, long long sample, int t, int k, int length)
{
    if (Shape::kSequences) return y + sample * Shape::kOutputRow + (long long)t * Shape::kOutputWidth + direction * Shape::kHidden;
    return k == length - 1 ? y + sample * Shape::kOutputRow + direction * Shape::kHidden : nullptr;
}

/// Rows length…Steps−1 (the padded steps) of one (direction, sample) part of width `width` set to 0, by the block.
template <class Shape>
__device__ __forceinline__ void clear_padded_rows(float* __restrict__ rows, int width, int length)
{
    for (long long e = (long long)length * width + threadIdx.x; e < (long long)Shape::kSteps * width; e += kThreads) rows[e] = 0.0f;
}

/// A sample's outputs that no step writes, set to 0 by the block: one direction's columns at its padded steps,
/// or its final state when it has no step.
template <class Shape>
__device__ __forceinline__ void clear_padded_outputs(float* __restrict__ y, int direction, long long sample, int length)
{
    constexpr int H = Shape::kHidden;
    const int from = Shape::kSequences ? length : length > 0 ? 1 : 0;
    for (long long e = (long long)from * H + threadIdx.x; e < (long long)(Shape::kSequences ? Shape::kSteps : 1) * H; e += kThreads)
        y[sample * Shape::kOutputRow + e / H * Shape::kOutputWidth + direction * H + e % H] = 0.0f;
}

} // namespace detail

/// gates[d] = x·W_ih[d] + b_ih[d] for every step of every sample, each direction d one GEMM (batch·Steps rows).
template <class Shape>
__device__ __forceinline__ void recurrent_input_projection(const float* __restrict__ x, const float* __restrict__ parameters, float* __restrict__ gates, int batch)
{
    const int rows = batch * Shape::kSteps;
    for (int d = 0; d < Shape::kDirections; d++)
    {
        const float* block = parameters + d * Shape::kBlock;
        gemm<false, false>(x, block, rows, Shape::kGateWidth, Shape::kInputs,
            BiasActivationEpilogue<Act::None>{block + Shape::kInputBias, nullptr, gates + (long long)d * rows * Shape::kGateWidth, Shape::kGateWidth, 0.0f});
    }
}

/// The LSTM recurrence over the projected inputs (see the top of this file); one block per (direction, sample).
template <class Shape>
__device__ void lstm_forward_steps(const float* __restrict__ parameters, float* __restrict__ gates, float* __restrict__ cells,
                                   float* __restrict__ previous, float* __restrict__ y, int batch, const int* __restrict__ lengths = nullptr)
{
    constexpr int H = Shape::kHidden, G = Shape::kGateWidth;
    for (long long item = blockIdx.x; item < (long long)batch * Shape::kDirections; item += gridDim.x)
    {
        const int direction = (int)(item / batch);
        const long long sample = item % batch;
        const float* whh = parameters + direction * Shape::kBlock + Shape::kRecurrentWeights;
        const float* bhh = parameters + direction * Shape::kBlock + Shape::kRecurrentBias;
        float* g = gates + detail::sequence_at<Shape>(direction, sample, batch, G);
        float* c = cells + detail::sequence_at<Shape>(direction, sample, batch, H);
        float* h = previous + detail::sequence_at<Shape>(direction, sample, batch, H);
        const int length = detail::steps_of<Shape>(lengths, sample);
        if (length > 0)
            for (int j = threadIdx.x; j < H; j += kThreads) h[(long long)detail::step_time(direction, 0, length) * H + j] = 0.0f;
        // Padded steps run nothing: their previous states (rows of dW_hh's product) and outputs are 0.
        detail::clear_padded_rows<Shape>(h, H, length);
        detail::clear_padded_outputs<Shape>(y, direction, sample, length);
        __syncthreads();
        for (int k = 0; k < length; k++)
        {
            const int t = detail::step_time(direction, k, length);
            const float* h_prev = h + (long long)t * H;
            float* row = g + (long long)t * G;
            float* out = detail::step_output<Shape>(y, direction, sample, t, k, length);
            for (int q = threadIdx.x; q < G; q += kThreads)
            {
                float z = row[q] + bhh[q];
                if (k > 0)
                    for (int i = 0; i < H; i++) z += h_prev[i] * whh[(long long)i * G + q];
                row[q] = z;
            }
            __syncthreads();   // a unit's cell reads its four gates
            for (int j = threadIdx.x; j < H; j += kThreads)
            {
                const float i_gate = sigmoid(row[j]), f_gate = sigmoid(row[H + j]), g_gate = tanhf(row[2 * H + j]), o_gate = sigmoid(row[3 * H + j]);
                row[j] = i_gate;
                row[H + j] = f_gate;
                row[2 * H + j] = g_gate;
                row[3 * H + j] = o_gate;
                float cell = i_gate * g_gate;
                if (k > 0) cell = f_gate * c[(long long)detail::step_time(direction, k - 1, length) * H + j] + cell;
                c[(long long)t * H + j] = cell;
                const float state = o_gate * tanhf(cell);
                if (k + 1 < length) h[(long long)detail::step_time(direction, k + 1, length) * H + j] = state;
                if (out != nullptr) out[j] = state;
            }
            __syncthreads();   // the next step reads every unit's state
        }
    }
}

/// LSTM back-propagation through time: fills gate_grads (pre-activation gradients of every step) from dy.
template <class Shape>
__device__ void lstm_backward_steps(const float* __restrict__ parameters, const float* __restrict__ gates, const float* __restrict__ cells,
                                    const float* __restrict__ dy, float* __restrict__ gate_grads, float* __restrict__ state_grads, int batch,
                                    const int* __restrict__ lengths = nullptr)
{
    constexpr int H = Shape::kHidden, G = Shape::kGateWidth;
    for (long long item = blockIdx.x; item < (long long)batch * Shape::kDirections; item += gridDim.x)
    {
        const int direction = (int)(item / batch);
        const long long sample = item % batch;
        const float* whh = parameters + direction * Shape::kBlock + Shape::kRecurrentWeights;
        const float* g = gates + detail::sequence_at<Shape>(direction, sample, batch, G);
        const float* c = cells + detail::sequence_at<Shape>(direction, sample, batch, H);
        float* dg = gate_grads + detail::sequence_at<Shape>(direction, sample, batch, G);
        float* dh_next = state_grads + item * 2 * H;   // dL/dh_t from the later steps, then dL/dc_t
        float* dc_next = dh_next + H;
        for (int j = threadIdx.x; j < H; j += kThreads) dh_next[j] = dc_next[j] = 0.0f;
        const int length = detail::steps_of<Shape>(lengths, sample);
        detail::clear_padded_rows<Shape>(dg, G, length);   // padded steps pass no gradient
        for (int k = length - 1; k >= 0; k--)
        {
            const int t = detail::step_time(direction, k, length);
            const float* row = g + (long long)t * G;
            float* drow = dg + (long long)t * G;
            const float* dout = detail::step_output<Shape>(dy, direction, sample, t, k, length);
            for (int j = threadIdx.x; j < H; j += kThreads)
            {
                const float dh = dout != nullptr ? dh_next[j] + dout[j] : dh_next[j];
                const float i_gate = row[j], f_gate = row[H + j], g_gate = row[2 * H + j], o_gate = row[3 * H + j];
                const float tc = tanhf(c[(long long)t * H + j]);
                const float dc = dc_next[j] + dh * o_gate * (1.0f - tc * tc);
                const float c_prev = k > 0 ? c[(long long)detail::step_time(direction, k - 1, length) * H + j] : 0.0f;
                drow[j] = dc * g_gate * i_gate * (1.0f - i_gate);
                drow[H + j] = k > 0 ? dc * c_prev * f_gate * (1.0f - f_gate) : 0.0f;
                drow[2 * H + j] = dc * i_gate * (1.0f - g_gate * g_gate);
                drow[3 * H + j] = dh * tc * o_gate * (1.0f - o_gate);
                dc_next[j] = dc * f_gate;
            }
            __syncthreads();   // dh_{t−1} reads every unit's gate gradients
            if (k > 0)
                for (int j = threadIdx.x / kWarp; j < H; j += kThreads / kWarp)
                {
                    const float* w = whh + (long long)j * G;
                    float s = 0.0f;
                    for (int q = lane(); q < G; q += kWarp) s += drow[q] * w[q];
                    s = warp_sum(s);
                    if (lane() == 0) dh_next[j] = s;
                }
            __syncthreads();   // the next step's units read dh_{t−1}
        }
        __syncthreads();
    }
}

/// The GRU recurrence over the projected inputs (see the top of this file); one block per (direction, sample).
template <class Shape>
__device__ void gru_forward_steps(const float* __restrict__ parameters, float* __restrict__ gates, float* __restrict__ candidates,
                                  float* __restrict__ previous, float* __restrict__ y, int batch, const int* __restrict__ lengths = nullptr)
{
    constexpr int H = Shape::kHidden, G = Shape::kGateWidth;
    for (long long item = blockIdx.x; item < (long long)batch * Shape::kDirections; item += gridDim.x)
    {
        const int direction = (int)(item / batch);
        const long long sample = item % batch;
        const float* whh = parameters + direction * Shape::kBlock + Shape::kRecurrentWeights;
        const float* bhh = parameters + direction * Shape::kBlock + Shape::kRecurrentBias;
        float* g = gates + detail::sequence_at<Shape>(direction, sample, batch, G);
        float* hn = candidates + detail::sequence_at<Shape>(direction, sample, batch, H);
        float* h = previous + detail::sequence_at<Shape>(direction, sample, batch, H);
        const int length = detail::steps_of<Shape>(lengths, sample);
        if (length > 0)
            for (int j = threadIdx.x; j < H; j += kThreads) h[(long long)detail::step_time(direction, 0, length) * H + j] = 0.0f;
        // Padded steps run nothing: their previous states (rows of dW_hh's product) and outputs are 0.
        detail::clear_padded_rows<Shape>(h, H, length);
        detail::clear_padded_outputs<Shape>(y, direction, sample, length);
        __syncthreads();
        for (int k = 0; k < length; k++)
        {
            const int t = detail::step_time(direction, k, length);
            const float* h_prev = h + (long long)t * H;
            float* row = g + (long long)t * G;
            float* out = detail::step_output<Shape>(y, direction, sample, t, k, length);
            float* hn_row = hn + (long long)t * H;
            for (int q = threadIdx.x; q < G; q += kThreads)
            {
                float recurrent = bhh[q];
                if (k > 0)
                    for (int i = 0; i < H; i++) recurrent += h_prev[i] * whh[(long long)i * G + q];
                // r and z add both parts now; n keeps h·W_hn + b_hn apart (r scales it).
                if (q < 2 * H) row[q] += recurrent;
                else hn_row[q - 2 * H] = recurrent;
            }
            __syncthreads();   // a unit's cell reads its three gates
            for (int j = threadIdx.x; j < H; j += kThreads)
            {
                const float r = sigmoid(row[j]), z = sigmoid(row[H + j]);
                const float n = tanhf(row[2 * H + j] + r * hn_row[j]);
                row[j] = r;
                row[H + j] = z;
                row[2 * H + j] = n;
                const float state = (1.0f - z) * n + z * h_prev[j];   // h_prev is zero at the first step
                if (k + 1 < length) h[(long long)detail::step_time(direction, k + 1, length) * H + j] = state;
                if (out != nullptr) out[j] = state;
            }
            __syncthreads();   // the next step reads every unit's state
        }
    }
}

/// GRU back-propagation through time: fills gate_grads (input side) and hidden_gate_grads (recurrent
/// side, where n's gradient is scaled by r) for every step from dy.
template <class Shape>
__device__ void gru_backward_steps(const float* __restrict__ parameters, const float* __restrict__ gates, const float* __restrict__ candidates,
                                   const float* __restrict__ previous, const float* __restrict__ dy, float* __restrict__ gate_grads,
                                   float* __restrict__ hidden_gate_grads, float* __restrict__ state_grads, int batch,
                                   const int* __restrict__ lengths = nullptr)
{
    constexpr int H = Shape::kHidden, G = Shape::kGateWidth;
    for (long long item = blockIdx.x; item < (long long)batch * Shape::kDirections; item += gridDim.x)
    {
        const int direction = (int)(item / batch);
        const long long sample = item % batch;
        const float* whh = parameters + direction * Shape::kBlock + Shape::kRecurrentWeights;
        const float* g = gates + detail::sequence_at<Shape>(direction, sample, batch, G);
        const float* hn = candidates + detail::sequence_at<Shape>(direction, sample, batch, H);
        const float* h = previous + detail::sequence_at<Shape>(direction, sample, batch, H);
        float* dgi = gate_grads + detail::sequence_at<Shape>(direction, sample, batch, G);
        float* dgh = hidden_gate_grads + detail::sequence_at<Shape>(direction, sample, batch, G);
        float* dh_next = state_grads + item * H;   // dL/dh_t from the later steps
        for (int j = threadIdx.x; j < H; j += kThreads) dh_next[j] = 0.0f;
        const int length = detail::steps_of<Shape>(lengths, sample);
        detail::clear_padded_rows<Shape>(dgi, G, length);   // padded steps pass no gradient
        detail::clear_padded_rows<Shape>(dgh, G, length);
        for (int k = length - 1; k >= 0; k--)
        {
            const int t = detail::step_time(direction, k, length);
            const float* row = g + (long long)t * G;
            float* gi = dgi + (long long)t * G;
            float* gh = dgh + (long long)t * G;
            const float* dout = detail::step_output<Shape>(dy, direction, sample, t, k, length);
            for (int j = threadIdx.x; j < H; j += kThreads)
            {
                const float dh = dout != nullptr ? dh_next[j] + dout[j] : dh_next[j];
                const float r = row[j], z = row[H + j], n = row[2 * H + j];
                const float h_prev = h[(long long)t * H + j];
                const float dn = dh * (1.0f - z) * (1.0f - n * n);
                const float dr = dn * hn[(long long)t * H + j] * r * (1.0f - r);
                const float dz = dh * (h_prev - n) * z * (1.0f - z);
                gi[j] = dr;
                gi[H + j] = dz;
                gi[2 * H + j] = dn;
                gh[j] = dr;
                gh[H + j] = dz;
                gh[2 * H + j] = dn * r;
                dh_next[j] = dh * z;
            }
            __syncthreads();   // dh_{t−1} reads every unit's gate gradients
            if (k > 0)
                for (int j = threadIdx.x / kWarp; j < H; j += kThreads / kWarp)
                {
                    const float* w = whh + (long long)j * G;
                    float s = 0.0f;
                    for (int q = lane(); q < G; q += kWarp) s += gh[q] * w[q];
                    s = warp_sum(s);
                    if (lane() == 0) dh_next[j] += s;
                }
            __syncthreads();   // the next step's units read dh_{t−1}
        }
        __syncthreads();
    }
}

/// dW_ih += xᵀ·dG_i and dW_hh += previousᵀ·dG_h per direction, over every step of every sample.
/// LSTM passes its one gate gradient buffer as both.
template <class Shape>
__device__ __forceinline__ void recurrent_backward_weights(const float* __restrict__ x, const float* __restrict__ previous, const float* __restrict__ gate_grads,
                                                           const float* __restrict__ hidden_gate_grads, float* __restrict__ gradients, int batch)
{
    constexpr int G = Shape::kGateWidth;
    const int rows = batch * Shape::kSteps;
    for (int d = 0; d < Shape::kDirections; d++)
    {
        float* block = gradients + d * Shape::kBlock;
        gemm<true, false>(x, gate_grads + (long long)d * rows * G, Shape::kInputs, G, rows, StoreEpilogue<true>{block, G});
        gemm<true, false>(previous + (long long)d * rows * Shape::kHidden, hidden_gate_grads + (long long)d * rows * G, Shape::kHidden, G, rows,
            StoreEpilogue<true>{block + Shape::kRecurrentWeights, G});
    }
}

/// db_ih += Σ dG_i and db_hh += Σ dG_h per direction (column sums over every step of every sample, in order).
template <class Shape>
__device__ __forceinline__ void recurrent_backward_bias(const float* __restrict__ gate_grads, const float* __restrict__ hidden_gate_grads, float* __restrict__ gradients, int batch)
{
    constexpr int G = Shape::kGateWidth;
    const long long rows = (long long)batch * Shape::kSteps;
    for (int d = 0; d < Shape::kDirections; d++)
    {
        float* block = gradients + d * Shape::kBlock;
        column_sums_into(gate_grads + d * rows * G, block + Shape::kInputBias, rows, G);
        column_sums_into(hidden_gate_grads + d * rows * G, block + Shape::kRecurrentBias, rows, G);
    }
}

/// dx += dG_i·W_ihᵀ for one direction (a launch each: both directions add into the same dx).
template <class Shape, int Direction>
__device__ __forceinline__ void recurrent_backward_data(const float* __restrict__ gate_grads, const float* __restrict__ parameters, float* __restrict__ dx, int batch)
{
    const int rows = batch * Shape::kSteps;
    gemm<false, true>(gate_grads + (long long)Direction * rows * Shape::kGateWidth, parameters + Direction * Shape::kBlock, rows, Shape::kInputs, Shape::kGateWidth,
        StoreEpilogue<true>{dx, Shape::kInputs});
}

} // namespace mg
