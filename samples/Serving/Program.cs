// The prediction service; see ServingHost and the README's "Serving predictions over HTTP".
//   dotnet run -c Release --project samples/Serving -- --model out/tumour.safetensors --urls http://127.0.0.1:5080
return await Serving.ServingHost.RunAsync(args);
