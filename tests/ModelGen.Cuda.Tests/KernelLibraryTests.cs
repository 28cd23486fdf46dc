using System.Linq;
using ModelGen.Cuda;
using Xunit;

namespace ModelGen.Cuda.Tests;

/// <summary>
/// The templates of kernels/ on their own: embedded as headers, and every template (also those no
/// generated model uses yet: embedding, positions, attention) instantiated and compiled for sm_80 and sm_90.
/// </summary>
public class KernelLibraryTests
{
    [Fact]
    public void TheHeadersAreEmbedded()
    {
        var names = KernelHeaders.All.Select(h => h.Key).ToList();
        foreach (var expected in new[] { "modelgen.cuh", "common.cuh", "gemm.cuh", "elementwise.cuh", "loss.cuh", "norm.cuh", "conv.cuh", "conv1d.cuh", "conv_transpose.cuh", "upsample.cuh", "recurrent.cuh", "pool.cuh", "embedding.cuh", "attention.cuh", "optimizer.cuh" })
            Assert.Contains(expected, names);
        Assert.Contains("template <bool TransA, bool TransB, class Epilogue>", KernelHeaders.Get("gemm.cuh"));
        Assert.DoesNotContain('\r', KernelHeaders.Get("common.cuh"));
    }

    /// <summary>One kernel per template, with sizes that exercise the edge paths (odd widths, strides, padding, groups).</summary>
    private const string EveryTemplate = """
        #include "modelgen.cuh"

        extern "C" __global__ void gemm_all(const float* a, const float* b, float* c, const float* bias, float* pre, int m, int n, int k)
        {
            mg::gemm<false, false>(a, b, m, n, k, mg::StoreEpilogue<false>{c, n});
            mg::gemm<true, false>(a, b, m, n, k, mg::StoreEpilogue<true>{c, n});
            mg::gemm<false, true>(a, b, m, n, k, mg::BiasActivationEpilogue<mg::Act::GELU>{bias, pre, c, n, 0.0f});
            mg::gemm<true, true>(a, b, m, n, k, mg::BiasActivationEpilogue<mg::Act::None>{nullptr, nullptr, c, n, 0.0f});
            mg::column_sums_into(a, c, m, n);
        }

        extern "C" __global__ void activations(const float* z, const float* y, float* d, long long count)
        {
            mg::activation_backward<mg::Act::ReLU>(z, y, d, d, count, 0.0f);
            mg::activation_backward<mg::Act::LeakyReLU>(z, y, d, d, count, 0.01f);
            mg::activation_backward<mg::Act::GELU>(z, y, d, d, count, 0.0f);
            mg::activation_backward<mg::Act::SiLU>(z, y, d, d, count, 0.0f);
            mg::activation_backward<mg::Act::Sigmoid>(z, y, d, d, count, 0.0f);
            mg::activation_backward<mg::Act::Tanh>(z, y, d, d, count, 0.0f);
            mg::activation_backward<mg::Act::GELUExact>(z, y, d, d, count, 0.0f);
            mg::activation_forward<mg::Act::Tanh>(z, d, count, 0.0f);
        }

        extern "C" __global__ void losses(float* out, const float* targets, float* rows, float* loss, int batch)
        {
            mg::softmax_cross_entropy<37>(out, targets, out, rows, batch);
            mg::elementwise_loss<mg::Elementwise::MeanSquaredError, 3>(out, targets, out, rows, batch, 0.0f);
            mg::elementwise_loss<mg::Elementwise::MeanAbsoluteError, 3>(out, targets, nullptr, rows, batch, 0.0f);
            mg::elementwise_loss<mg::Elementwise::Huber, 3>(out, targets, out, rows, batch, 1.5f);
            mg::elementwise_loss<mg::Elementwise::BinaryCrossEntropy, 1>(out, targets, out, rows, batch, 2.0f);
            mg::mean_loss(rows, loss, batch, 1.0f / batch);
        }

        extern "C" __global__ void norms(const float* x, const float* g, const float* b, float* rm, float* rv, float* y, float* m, float* s, float* dx, int batch)
        {
            mg::layer_norm_forward<100>(x, g, b, y, m, s, batch, 1e-5f);
            mg::layer_norm_backward_data<100>(x, g, m, s, y, dx, batch);
            mg::layer_norm_backward_parameters<100>(x, m, s, y, dx, dx, batch);
            mg::batch_norm_forward_train<6, 49>(x, g, b, rm, rv, y, m, s, batch, 0.1f, 1e-5f);
            mg::batch_norm_forward_eval<6, 49>(x, g, b, rm, rv, y, batch, 1e-5f);
            mg::batch_norm_backward<6, 49>(x, g, m, s, y, dx, dx, dx, batch);
        }

        using Conv = mg::ConvShape<4, 13, 11, 6, 3, 2, 1, 2, 2>;
        using Pool = mg::PoolShape<6, 13, 11, 3, 2, 1>;

        extern "C" __global__ void spatial(const float* x, const float* w, const float* bias, float* pre, float* y, int* winners, float* dx, float* dw, int batch)
        {
            mg::conv2d_forward<Conv, mg::Act::SiLU>(x, w, bias, pre, y, batch, 0.0f);
            mg::conv2d_backward_data<Conv>(w, y, dx, batch);
            mg::conv2d_backward_parameters<Conv>(x, y, dw, dw, batch);
            mg::max_pool_forward<Pool>(x, y, winners, batch);
            mg::max_pool_backward<Pool>(y, winners, dx, batch);
            mg::avg_pool_forward<Pool>(x, y, batch);
            mg::avg_pool_backward<Pool>(y, dx, batch);
            mg::global_avg_pool_forward<6, 143>(x, y, batch);
            mg::global_avg_pool_backward<6, 143>(y, dx, batch);
        }

        using Transposed = mg::ConvTransposeShape<4, 5, 7, 6, 3, 2, 1, 1, 2, 2>;
        using Nearest = mg::UpsampleShape<3, 5, 7, 2, 3, false>;
        using Aligned = mg::UpsampleShape<3, 1, 7, 3, 2, true>;

        extern "C" __global__ void upsampling(const float* x, const float* w, const float* bias, float* pre, float* y, float* dx, float* dw, int batch)
        {
            mg::conv_transpose2d_forward<Transposed, mg::Act::LeakyReLU>(x, w, bias, pre, y, batch, 0.01f);
            mg::conv_transpose2d_backward_data<Transposed>(w, y, dx, batch);
            mg::conv_transpose2d_backward_parameters<Transposed>(x, y, dw, dw, batch);
            mg::upsample_nearest_forward<Nearest>(x, y, batch);
            mg::upsample_nearest_backward<Nearest>(y, dx, batch);
            mg::upsample_bilinear_forward<Nearest>(x, y, batch);
            mg::upsample_bilinear_backward<Nearest>(y, dx, batch);
            mg::upsample_bilinear_forward<Aligned>(x, y, batch);
            mg::upsample_bilinear_backward<Aligned>(y, dx, batch);
        }

        extern "C" __global__ void sequences(const float* ids, const float* table, float* y, float* dtable, float* qkv, float* p, float* ds, float* dqkv, int batch, unsigned long long seed)
        {
            mg::embedding_forward<96, 128, 1, 128>(ids, table, y, batch * 64LL);
            mg::embedding_backward<1000, 16, 8, 144>(ids, y, dtable, batch);
            mg::add_positions<64, 128>(y, table, y, batch);
            mg::add_positions_backward<64, 128>(y, dtable, batch);
            using Causal = mg::AttentionShape<64, 128, 4, true>;
            using Full = mg::AttentionShape<10, 12, 3, false>;
            mg::attention_forward<Causal>(qkv, p, y, batch);
            mg::attention_backward_queries<Causal>(qkv, p, y, ds, dqkv, batch);
            mg::attention_backward_keys<Causal>(qkv, p, y, ds, dqkv, batch);
            mg::attention_forward<Full>(qkv, p, y, batch);
            mg::attention_backward_queries<Full>(qkv, p, y, ds, dqkv, batch);
            mg::attention_backward_keys<Full>(qkv, p, y, ds, dqkv, batch);
            mg::dropout_forward(qkv, y, p, batch * 7LL, 0.25f, seed, 3ull);
            mg::add(qkv, y, p, batch);
            mg::multiply(qkv, y, p, batch);
            mg::add_into(qkv, p, batch);
            mg::multiply_add_into(qkv, y, p, batch);
            mg::copy(qkv, p, batch);
        }

        extern "C" __global__ void optimizers(float* p, const float* g, float* m, float* v, long long count)
        {
            mg::adam_update(p, g, m, v, count, 1e-3f, 0.9f, 0.999f, 1e-8f, 0.0f, 1.0f, 10.0f, 1000.0f);
            mg::sgd_update(p, g, m, count, 0.01f, 0.9f, 1, 1e-4f);
        }
        """;

    [NvrtcTheory]
    [InlineData(80, MatMulPrecision.Float32)]
    [InlineData(90, MatMulPrecision.Float32)]
    [InlineData(80, MatMulPrecision.TF32)]
    [InlineData(90, MatMulPrecision.TF32)]
    [InlineData(80, MatMulPrecision.BF16)]
    [InlineData(90, MatMulPrecision.BF16)]
    public void EveryTemplate_CompilesWithoutWarnings(int architecture, MatMulPrecision precision)
    {
        var compiled = NvrtcCompiler.Compile(EveryTemplate, "every_template.cu", architecture, CudaImageKind.Cubin, new CudaCompileOptions(precision));
        Assert.True(compiled.Log.Length == 0, $"sm_{architecture} {precision}: NVRTC reported\n{compiled.Log}");
        Assert.NotEmpty(compiled.Image);
    }

    [NvrtcTheory]
    [InlineData(MatMulPrecision.Float32, null, null)]
    [InlineData(MatMulPrecision.TF32, "mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32", "cvt.rna.tf32.f32")]
    [InlineData(MatMulPrecision.BF16, "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32", "cvt.rn.bf16x2.f32")]
    public void GemmPrecision_SelectsItsInstructions(MatMulPrecision precision, string? product, string? rounding)
    {
        var compiled = NvrtcCompiler.Compile(EveryTemplate, "every_template.cu", 80, CudaImageKind.Ptx, new CudaCompileOptions(precision));
        string ptx = System.Text.Encoding.ASCII.GetString(compiled.Image);
        if (product is null) Assert.DoesNotContain("mma.sync", ptx);
        else
        {
            Assert.Contains(product, ptx);
            Assert.Contains(rounding!, ptx);
        }
        // Below sm_80 there are no such tensor-core instructions: the same option falls back to float32 products.
        var older = NvrtcCompiler.Compile(EveryTemplate, "every_template.cu", 75, CudaImageKind.Ptx, new CudaCompileOptions(precision));
        Assert.DoesNotContain("mma.sync", System.Text.Encoding.ASCII.GetString(older.Image));
    }

    [NvrtcFact]
    public void Ptx_IsTextForTheVirtualArchitecture()
    {
        var compiled = NvrtcCompiler.Compile(EveryTemplate, "every_template.cu", 80, CudaImageKind.Ptx);
        string ptx = System.Text.Encoding.ASCII.GetString(compiled.Image).TrimEnd('\0');
        Assert.Contains(".target sm_80", ptx);
        Assert.Contains(".entry gemm_all", ptx);   // extern "C": the names are not mangled
        Assert.Equal(0, compiled.Image[^1]);       // NUL-terminated, as cuModuleLoadData expects
    }
}
