"""French surnames and first names for the generated patients, most common first.

The generator draws surnames with a skew (a few very common, a long tail), so
searching a common surname at 500k patients returns about as many matches as
in a real hospital (≈1,400 for "Moreau")."""

SURNAMES = """
Martin Bernard Thomas Petit Robert Richard Durand Dubois Moreau Laurent Simon Michel Lefebvre Leroy Roux David
Bertrand Morel Fournier Girard Bonnet Dupont Lambert Fontaine Rousseau Vincent Muller Lefevre Faure Andre Mercier
Blanc Guerin Boyer Garnier Chevalier Francois Legrand Gauthier Garcia Perrin Robin Clement Morin Nicolas Henry
Roussel Mathieu Gautier Masson Marchand Duval Denis Dumont Marie Lemaire Noel Meyer Dufour Meunier Brun Blanchard
Giraud Joly Riviere Lucas Brunet Gaillard Barbier Arnaud Martinez Gerard Roche Renard Schmitt Roy Leroux Colin
Vidal Caron Picard Roger Fabre Aubert Lemoine Renaud Dumas Lacroix Olivier Philippe Bourgeois Pierre Benoit Rey
Leclerc Payet Rolland Leclercq Guillaume Lecomte Lopez Jean Dupuy Guillot Hubert Berger Carpentier Sanchez Dupuis
Moulin Louis Deschamps Huet Vasseur Perez Boucher Fleury Royer Klein Jacquet Adam Paris Poirier Marty Aubry Guyot
Carre Charles Renault Charpentier Menard Maillard Baron Bertin Bailly Herve Schneider Fernandez Le Collet Leger
Bouvier Julien Prevost Millet Perrot Daniel Cousin Germain Breton Besson Langlois Remy Pelletier Leveque Perrier
Leblanc Barre Lebrun Marchal Weber Mallet Hamon Boulanger Jacob Monnier Michaud Rodriguez Guichard Gillet Etienne
Grondin Poulain Tessier Chevallier Collin Chauvin Bouvet Gay Lemaitre Benard Marechal Humbert Reynaud Antoine
Hoarau Perret Barthelemy Cordier Pichon Lejeune Gilbert Lamy Delaunay Pasquier Carlier Laporte Fontan Dubosc
""".split()  # noqa: SIM905 (a paragraph of names reads better than a list)

FIRST_NAMES = """
Marie Jean Pierre Michel Philippe Nathalie Isabelle Sylvie Catherine Francoise Alain Patrick Nicolas Christophe
Christine Monique Martine Valerie Jacques Sandrine Stephane Laurent Eric Frederic David Sebastien Julien Camille
Lea Manon Chloe Emma Ines Sarah Laura Julie Lucas Hugo Louis Thomas Theo Nathan Antoine Maxime Alexandre Clement
Helene Anne Brigitte Veronique Celine Aurelie Emilie Elodie Pauline Mathilde Claire Juliette Louise Alice Jeanne
Paul Arthur Raphael Gabriel Jules Adam Leo Ethan Noah Victor Baptiste Romain Quentin Vincent Guillaume Benoit
""".split()  # noqa: SIM905
