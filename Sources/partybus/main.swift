print("partybus")
