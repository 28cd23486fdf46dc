using System;
using System.Linq;
using ModelGen.Data;
using ModelGen.Tests.Models;
using Xunit;

namespace ModelGen.Tests.Data;

/// <summary>
/// Token ids an embedding cannot look up are refused when Fit, Evaluate or Predict starts, before any step, with the
/// row, the column, the id and the vocabulary size: data encoded from text or read from a file is out of the build's sight.
/// </summary>
public class TokenIdCheckTests
{
    private static float[] Ids(params int[] ids) => ids.Select(i => (float)i).ToArray();

    [Fact]
    public void Fit_RefusesAnIdBeyondTheVocabulary_BeforeTheFirstStep()
    {
        var model = new EmbeddingNet(seed: 1);
        var before = model.Parameters.ToArray();
        // Two rows of 6 ids, a class per position; row 1 holds 11 in a vocabulary of 11 (ids 0…10).
        var data = Dataset.ForSequenceClassification(Ids(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 10), 6, new int[12], 6);
        var error = Assert.Throws<ArgumentException>(() => model.Fit(data, epochs: 1, batchSize: 1));
        Assert.Equal("'train' holds the token id 11 at row 1, column 4, but Embedding 'Tokens' of EmbeddingNet has a vocabulary of 11 " +
                     "(ids 0…10); the id is at or beyond the vocabulary: build the Vocabulary with maxSize: 11 (it counts the padding and " +
                     "unknown ids), or declare the embedding with the vocabulary's Count. (Parameter 'train')", error.Message);
        Assert.Equal(before, model.Parameters.ToArray());
    }

    [Fact]
    public void Evaluate_AndPredict_RefuseTheSameIds()
    {
        var model = new EmbeddingNet(seed: 1);
        var data = Dataset.ForSequenceClassification(Ids(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12), 6, new int[12], 6);
        var evaluate = Assert.Throws<ArgumentException>(() => model.Evaluate(data));
        Assert.StartsWith("'data' holds the token id 12 at row 1, column 5, but Embedding 'Tokens' of EmbeddingNet has a vocabulary of 11", evaluate.Message);
        var predict = Assert.Throws<ArgumentException>(() => model.Predict(data));
        Assert.Equal(evaluate.Message, predict.Message);
        var classes = Assert.Throws<ArgumentException>(() => model.PredictClasses(data));
        Assert.Equal(evaluate.Message, classes.Message);
        var span = Assert.Throws<ArgumentException>(() => model.Predict(Ids(0, 1, 2, 11, 4, 5)));
        Assert.StartsWith("'inputs' holds the token id 11 at sample 0, column 3, but Embedding 'Tokens'", span.Message);
    }

    [Fact]
    public void NegativeAndFractionalIds_SayIdsAreWholeNumbers()
    {
        var model = new EmbeddingNet(seed: 1);
        var negative = Assert.Throws<ArgumentException>(() => model.Predict(Ids(0, 1, -1, 3, 4, 5)));
        Assert.EndsWith("has a vocabulary of 11 (ids 0…10); token ids are whole numbers from 0. (Parameter 'inputs')", negative.Message);
        Assert.Contains("token id -1 at sample 0, column 2", negative.Message);
        var fractional = Assert.Throws<ArgumentException>(() => model.Predict(new float[] { 0, 1, 2, 3, 4.5f, 5 }));
        Assert.Contains("token id 4.5 at sample 0, column 4", fractional.Message);
    }

    [Fact]
    public void IdsEncodedFromText_WithALargerVocabulary_AreRefusedAtFit()
    {
        // The vocabulary has 14 ids (2 reserved + 12 words); the model's embedding was declared for 11.
        var words = "a b c d e f g h i j k l".Split(' ');
        var vocabulary = Vocabulary.Build(new[] { words });
        Assert.Equal(14, vocabulary.Count);
        var ids = TokenSequences.Pad(vocabulary.Encode(new[] { words[..6], words[6..] }), 6);
        var data = Dataset.ForSequenceClassification(ids.Select(i => (float)i).ToArray(), 6, new int[12], 6);
        var error = Assert.Throws<ArgumentException>(() => new EmbeddingNet(seed: 1).Fit(data, epochs: 1, batchSize: 2));
        Assert.Contains($"holds the token id {ids.First(i => i >= 11)} at row ", error.Message);
        Assert.Contains("has a vocabulary of 11 (ids 0…10)", error.Message);
    }

    [Fact]
    public void SeveralInputs_NameTheInputAndThePosition_AndLeaveOtherInputsAlone()
    {
        var model = new EmbeddingConcatNet(seed: 1);
        // Columns: a (vocabulary 5), b (vocabulary 4), dense (2 values, any number).
        var ok = Dataset.ForRegression(new float[] { 4, 3, -7.5f, 99, 0, 0, 1e6f, 0.25f }, 4, new float[] { 1, 0 }).WithInputs(("a", 1), ("b", 1), ("dense", 2));
        Assert.Equal(2, model.Predict(ok).Length);
        var bad = Dataset.ForRegression(new float[] { 4, 3, 0, 0, 0, 4, 0, 0 }, 4, new float[] { 1, 0 }).WithInputs(("a", 1), ("b", 1), ("dense", 2));
        var error = Assert.Throws<ArgumentException>(() => model.Evaluate(bad));
        Assert.StartsWith("'data' holds the token id 4 at row 1, column 1 (position 0 of input 'b'), but Embedding 'FieldB' of EmbeddingConcatNet has a vocabulary of 4 (ids 0…3)", error.Message);
    }

    [Fact]
    public void TheTwin_IdsWithinTheVocabulary_Train()
    {
        var model = new EmbeddingNet(seed: 1);
        var data = Dataset.ForSequenceClassification(Ids(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 10), 6, new int[12], 6);
        var history = model.Fit(data, epochs: 1, batchSize: 2);
        Assert.True(float.IsFinite(history[^1].TrainLoss));
    }
}
