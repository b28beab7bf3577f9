"""leokop: digitaler Ausbildungsnachweis (Berichtsheft) und Lernortkooperation."""
