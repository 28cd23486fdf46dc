namespace ModelGen.Plots;
