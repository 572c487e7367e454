package main

func sessionAttacks() []attack { return nil }
func storeAttacks() []attack   { return nil }
func mucAttacks() []attack     { return nil }
func httpAttacks() []attack    { return nil }
func lastAttacks() []attack    { return nil }
