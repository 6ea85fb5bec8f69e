print("dialtone")
