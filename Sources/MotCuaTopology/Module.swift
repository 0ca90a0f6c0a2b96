// MotCuaTopology: topology files and validation.
